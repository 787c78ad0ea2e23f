#include "attnscope/capture/transformer_model.h"

#include <ATen/ATen.h>

#include <cmath>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_block.h"
#include "new_weight.h"
#include "rotary_frequencies.h"

namespace attnscope::capture {

TransformerModel::TransformerModel(ModelConfig config, at::TensorOptions options, WeightInit init)
    : m_config(std::move(config)), m_options(options) {
    const auto& c = m_config;
    m_hookEmbed = register_module("hook_embed", std::make_shared<HookPoint>());
    m_embed = register_parameter("embed", newWeight({c.vocabSize, c.dModel}, options, init), false);
    if (c.positions == PositionKind::Learned) {
        m_hookPosEmbed = register_module("hook_pos_embed", std::make_shared<HookPoint>());
        m_posEmbed = register_parameter(
            "pos_embed", newWeight({c.maxPositions, c.dModel}, options, init), false);
    } else {
        m_invFreq = rotaryInverseFrequencies(c).to(options.device());
    }
    m_blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t l = 0; l < c.nLayers; ++l)
        m_blocks->push_back(std::make_shared<TransformerBlock>(m_config, l, options, init));

    auto lnFinal = register_module("ln_final", std::make_shared<torch::nn::Module>());
    m_hookNormalized = lnFinal->register_module("hook_normalized", std::make_shared<HookPoint>());
    m_normW = register_parameter("ln_final_w", newWeight({c.dModel}, options, init, 1.0), false);
    if (c.norm == NormKind::LayerNorm)
        m_normB = register_parameter("ln_final_b", newWeight({c.dModel}, options, init), false);
    if (c.tiedEmbeddings)
        m_unembed = m_embed;
    else
        m_unembed =
            register_parameter("unembed", newWeight({c.vocabSize, c.dModel}, options, init), false);
    m_hookLogits = register_module("logits", std::make_shared<HookPoint>());
    m_registry.build(*this);
}

void TransformerModel::ownWeights() {
    if (!m_weightsShareFiles) return;
    at::NoGradGuard noGrad;
    // set_ swaps the storage inside the registered parameter, so every handle to it (the
    // members, a tied unembedding, an optimizer built later) sees the copy.
    for (auto& p : parameters())
        p.set_(p.clone(at::MemoryFormat::Contiguous));
    m_weightsShareFiles = false;
}

TransformerBlock& TransformerModel::block(int64_t layer) {
    return *m_blocks[static_cast<std::size_t>(layer)]->as<TransformerBlock>();
}

std::pair<at::Tensor, at::Tensor> TransformerModel::rotaryTables(int64_t offset, int64_t count) {
    const int64_t needed = offset + count;
    if (!m_ropeCos.defined() || m_ropeCos.size(0) < needed) {
        // Grow to a power of two so decoding does not rebuild the table every step.
        int64_t size = 64;
        while (size < needed)
            size *= 2;
        std::tie(m_ropeCos, m_ropeSin) = rotaryTablesFor(m_invFreq, size);
    }
    return {m_ropeCos.narrow(0, offset, count), m_ropeSin.narrow(0, offset, count)};
}

void TransformerModel::validateInput(const at::Tensor& ids, int64_t offset) const {
    if (ids.dim() != 2) throw InputError("input ids must be [batch, pos]");
    if (ids.scalar_type() != at::kLong) throw InputError("input ids must be int64");
    if (ids.size(1) == 0) throw InputError("input is empty: give at least one token");
    if (ids.numel() > 0) {
        const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
        if (lo < 0 || hi >= m_config.vocabSize)
            throw InputError("token id " + std::to_string(lo < 0 ? lo : hi) +
                             " is out of range: the vocabulary has " +
                             std::to_string(m_config.vocabSize) + " tokens (0.." +
                             std::to_string(m_config.vocabSize - 1) + ")");
    }
    if (offset + ids.size(1) > m_config.maxPositions)
        throw InputError("sequence of " + std::to_string(offset + ids.size(1)) +
                         " tokens is longer than the model's context of " +
                         std::to_string(m_config.maxPositions) + " positions");
}

at::Tensor TransformerModel::finalNorm(const at::Tensor& x) const {
    return applyNorm(m_config, x, m_normW, m_normB);
}

at::Tensor TransformerModel::forward(const at::Tensor& idsIn, const ForwardOptions& options) {
    const int64_t offset = options.cache ? options.cache->length() : 0;
    validateInput(idsIn, offset);
    const at::Tensor ids = idsIn.to(m_options.device());
    const int64_t t = ids.size(1);

    at::Tensor x = at::embedding(m_embed, ids);  // [batch, pos, d_model]
    m_hookEmbed->run(x, offset);
    BlockInputs in;
    in.positionOffset = offset;
    in.cache = options.cache;
    in.scoreBudgetBytes = options.scoreBudgetBytes;
    in.plainAttention = options.plainAttention;
    in.statistics = options.statistics;
    if (in.statistics) {
        for (auto* v :
             {&in.statistics->massOnKeys, &in.statistics->rowArgmax, &in.statistics->rowEntropy})
            v->assign(static_cast<std::size_t>(m_config.nLayers), at::Tensor());
    }
    if (m_config.positions == PositionKind::Learned) {
        at::Tensor pos = m_posEmbed.narrow(0, offset, t).unsqueeze(0).expand({ids.size(0), t, -1});
        m_hookPosEmbed->run(pos, offset);
        x = x + pos;
    } else {
        std::tie(in.ropeCos, in.ropeSin) = rotaryTables(offset, t);
    }
    for (int64_t l = 0; l < m_config.nLayers; ++l)
        x = block(l).forward(x, in);
    if (options.cache) options.cache->commit(t);

    // The unembedding over every position costs ~30% of a small model's forward; only the
    // last position is needed unless someone asked for more.
    const bool allPositions = options.allLogits || m_hookLogits->active();
    if (!allPositions && !m_hookNormalized->active()) x = x.narrow(1, t - 1, 1);
    // logitsFromResidual() (logit_lens.cpp) repeats these two steps: change both together.
    at::Tensor normed = finalNorm(x);
    m_hookNormalized->run(normed, offset);
    if (!allPositions && normed.size(1) != 1) normed = normed.narrow(1, t - 1, 1);
    at::Tensor logits = at::linear(normed, m_unembed).to(at::kFloat);
    m_hookLogits->run(logits, offset);
    return logits;
}

}  // namespace attnscope::capture
