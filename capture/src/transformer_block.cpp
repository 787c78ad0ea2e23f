#include "attnscope/capture/transformer_block.h"

#include <ATen/ATen.h>

#include "attnscope/capture/activation_functions.h"
#include "new_weight.h"

namespace attnscope::capture {
at::Tensor applyNorm(const ModelConfig& config, const at::Tensor& x, const at::Tensor& weight,
                     const at::Tensor& bias) {
    if (config.norm == NormKind::LayerNorm)
        return at::layer_norm(x, {x.size(-1)}, weight, bias, config.normEps);
    auto xf = x.to(at::kFloat);
    auto normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + config.normEps);
    // In place where nothing differentiates through it: one T x d temporary fewer (each is a
    // fresh mmap, with its page faults, in a long-context run). Same products either way.
    if (normed.scalar_type() == x.scalar_type() && !weight.requires_grad() &&
        !normed.requires_grad())
        return normed.mul_(weight);
    return weight * normed.to(x.scalar_type());
}

TransformerBlock::TransformerBlock(const ModelConfig& config, int64_t layer,
                                   at::TensorOptions options, WeightInit init)
    : m_config(config) {
    const int64_t D = config.dModel, M = config.dMlp;
    const bool layerNorm = config.norm == NormKind::LayerNorm;
    hookResidPre = registerHookPoint(*this, "hook_resid_pre", layer);
    norm1W = register_parameter("ln1_w", newWeight({D}, options, init, 1.0), false);
    if (layerNorm) norm1B = register_parameter("ln1_b", newWeight({D}, options, init), false);
    attn = register_module("attn", std::make_shared<AttentionLayer>(config, layer, options, init));
    hookAttnOut = registerHookPoint(*this, "hook_attn_out", layer);
    hookResidMid = registerHookPoint(*this, "hook_resid_mid", layer);
    norm2W = register_parameter("ln2_w", newWeight({D}, options, init, 1.0), false);
    if (layerNorm) norm2B = register_parameter("ln2_b", newWeight({D}, options, init), false);
    const int64_t inRows = config.mlp == MlpKind::GatedSilu ? 2 * M : M;
    wIn = register_parameter("w_in", newWeight({inRows, D}, options, init), false);
    if (config.mlpBias) bIn = register_parameter("b_in", newWeight({inRows}, options, init), false);
    wOut = register_parameter("w_out", newWeight({D, M}, options, init), false);
    if (config.mlpBias) bOut = register_parameter("b_out", newWeight({D}, options, init), false);
    hookMlpOut = registerHookPoint(*this, "hook_mlp_out", layer);
    hookResidPost = registerHookPoint(*this, "hook_resid_post", layer);
}

at::Tensor TransformerBlock::mlp(const at::Tensor& x) const {
    auto h = at::linear(x, wIn, bIn);
    if (m_config.mlp == MlpKind::GatedSilu) {
        auto gateUp = h.chunk(2, -1);
        // In place into the gate half when no gradient needs the inputs: saves two T x d_mlp
        // temporaries (a tenth of an 8k-token forward went to page faults on them).
        if (!h.requires_grad())
            h = at::silu_(gateUp[0]).mul_(gateUp[1]);
        else
            h = at::silu(gateUp[0]) * gateUp[1];
    } else {
        h = applyActivation(m_config.activation, h);
    }
    return at::linear(h, wOut, bOut);
}

at::Tensor TransformerBlock::forward(const at::Tensor& resid, const BlockInputs& in) {
    const int64_t offset = in.positionOffset;
    at::Tensor x = resid;
    hookResidPre->run(x, offset);
    at::Tensor attnOut = attn->forward(applyNorm(m_config, x, norm1W, norm1B), in);
    hookAttnOut->run(attnOut, offset);
    at::Tensor mid = x + attnOut;
    hookResidMid->run(mid, offset);
    at::Tensor mlpOut = mlp(applyNorm(m_config, mid, norm2W, norm2B));
    hookMlpOut->run(mlpOut, offset);
    at::Tensor post = mid + mlpOut;
    hookResidPost->run(post, offset);
    return post;
}

}  // namespace attnscope::capture
