#include "needle_head_shaping.h"

#include <algorithm>

#include "attnscope/capture/transformer_model.h"

namespace attnscope::app::demo {
namespace {

// [B, T, T]: 1/n where the query is one of the n positions of an example's needle answer and
// the key lies in its secret, so that summing a head's masked pattern gives its mean attention
// on the secret per answer position.
at::Tensor secretMask(const std::vector<Example>& examples, int64_t length) {
    at::Tensor mask = at::zeros({static_cast<int64_t>(examples.size()), length, length});
    auto a = mask.accessor<float, 3>();
    for (size_t i = 0; i < examples.size(); ++i) {
        const Example& ex = examples[i];
        const auto& answer = ex.units.front();
        const float w = 1.0f / static_cast<float>(answer.size());
        for (const int64_t q : answer)
            for (int64_t k = ex.spanBegin; k < ex.spanEnd; ++k)
                a[static_cast<int64_t>(i)][q][k] = w;
    }
    return mask;
}

}  // namespace

NeedleHeadShaping::NeedleHeadShaping(capture::TransformerModel& model, const TrainOptions& options,
                                     const std::vector<Example>& examples, int64_t length, Rng& rng)
    : m_scope(model.hooks()),
      m_secret(secretMask(examples, length).unsqueeze(1)),
      m_others(at::ones({options.shape.layers, options.shape.heads})) {
    for (const auto& [layer, head] : options.retrievalHeads)
        m_others[layer][head] = 0.0;
    std::vector<std::pair<int64_t, int64_t>> candidates;
    for (int64_t l = 0; l < options.shape.layers; ++l)
        for (int64_t h = 0; h < options.shape.heads; ++h)
            if (m_others[l][h].item<float>() > 0) candidates.emplace_back(l, h);
    m_divisor = static_cast<double>(examples.size() * candidates.size());

    const auto batch = static_cast<int64_t>(examples.size());
    if (options.retrievalDropout > 0) {
        m_dropped = at::zeros({options.shape.layers, batch, options.shape.heads, length, 1});
        auto d = m_dropped.accessor<float, 5>();
        for (int64_t b = 0; b < batch; ++b) {
            std::shuffle(candidates.begin(), candidates.end(), rng);
            for (int64_t i = 0; i < options.retrievalDropout; ++i) {
                const auto [l, h] = candidates[static_cast<size_t>(i)];
                for (const int64_t q : examples[static_cast<size_t>(b)].units.front())
                    d[l][b][h][q][0] = 1.0f;
            }
        }
        const at::Tensor counts = at::arange(1, length + 1, at::kFloat).unsqueeze(1);
        m_uniform = at::ones({length, length}).tril() / counts;
    }
    m_scope.addMatching("blocks.*.attn.hook_pattern",
                        [this](at::Tensor& pattern, const capture::HookContext& ctx) {
                            onPattern(pattern, ctx.layer);
                        });
}

void NeedleHeadShaping::onPattern(at::Tensor& pattern, int64_t layer) {
    if (m_dropped.defined()) {
        const at::Tensor drop = m_dropped[layer];
        pattern = pattern * (1 - drop) + m_uniform * drop;
    }
    const at::Tensor mass = (pattern * m_secret).sum({2, 3});
    const at::Tensor term = (mass * m_others[layer]).sum();
    m_sum = m_sum.defined() ? m_sum + term : term;
}

at::Tensor NeedleHeadShaping::penalty() const {
    return m_sum.defined() ? m_sum / std::max(1.0, m_divisor) : at::zeros({});
}

}  // namespace attnscope::app::demo
