#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "attnscope/capture/attention_statistics.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/transformer_block.h"
#include "new_weight.h"

namespace attnscope::capture {
namespace {

// HF rotate-half layout: the first and second halves of each head vector form the pairs.
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    // x [batch, pos, head, d]; cos/sin [pos, d] → broadcast as [1, pos, 1, d]
    const int64_t half = x.size(-1) / 2;
    auto c = cos.unsqueeze(0).unsqueeze(2).to(x.scalar_type());
    auto s = sin.unsqueeze(0).unsqueeze(2).to(x.scalar_type());
    auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * c + rotated * s;
}

}  // namespace

AttentionLayer::AttentionLayer(const ModelConfig& config, int64_t layer, at::TensorOptions options,
                               WeightInit init)
    : m_config(config), m_layer(layer), m_scale(config.attentionScale(layer)) {
    const int64_t d = config.headDim, qkvRows = (config.nHeads + 2 * config.nKvHeads) * d;
    wQkv = register_parameter("w_qkv", newWeight({qkvRows, config.dModel}, options, init), false);
    if (config.qkvBias)
        bQkv = register_parameter("b_qkv", newWeight({qkvRows}, options, init), false);
    wO = register_parameter("w_o", newWeight({config.dModel, config.nHeads * d}, options, init),
                            false);
    if (config.outBias)
        bO = register_parameter("b_o", newWeight({config.dModel}, options, init), false);
    hookQ = registerHookPoint(*this, "hook_q", layer);
    hookK = registerHookPoint(*this, "hook_k", layer);
    hookV = registerHookPoint(*this, "hook_v", layer);
    // Learned-position models have them too (equal to hook_q/hook_k): q and k "after the
    // positional encoding" are what long-context captures store for every architecture.
    hookRotQ = registerHookPoint(*this, "hook_rot_q", layer);
    hookRotK = registerHookPoint(*this, "hook_rot_k", layer);
    hookAttnScores = registerHookPoint(*this, "hook_attn_scores", layer);
    hookPattern = registerHookPoint(*this, "hook_pattern", layer);
    hookPatternLse = registerHookPoint(*this, "hook_pattern_lse", layer);
    hookZ = registerHookPoint(*this, "hook_z", layer);
    hookResult = registerHookPoint(*this, "hook_result", layer);
}

at::Tensor AttentionLayer::forward(const at::Tensor& x, const BlockInputs& in) {
    const int64_t b = x.size(0), t = x.size(1), d = m_config.headDim;
    const int64_t H = m_config.nHeads, Hkv = m_config.nKvHeads;
    auto qkv = at::linear(x, wQkv, bQkv);  // [batch, pos, (H + 2 H_kv) d]
    auto parts = qkv.split_with_sizes({H * d, Hkv * d, Hkv * d}, -1);
    at::Tensor q = parts[0].view({b, t, H, d});
    at::Tensor k = parts[1].view({b, t, Hkv, d});
    at::Tensor v = parts[2].view({b, t, Hkv, d});
    at::Tensor z = attendProjected(q, k, v, in);
    if (hookResult->active()) {
        // Per-head writes into the residual stream: o[h] = W_O[:, h] z[h].
        auto wOh = wO.view({m_config.dModel, H, d});
        at::Tensor result = at::einsum("bphd,mhd->bphm", {z, wOh});  // [batch, pos, head, d_model]
        hookResult->run(result, in.positionOffset);
        at::Tensor out = result.sum(2);
        return bO.defined() ? out + bO : out;
    }
    return at::linear(z.reshape({b, t, H * d}), wO, bO);
}

at::Tensor AttentionLayer::attendProjected(at::Tensor q, at::Tensor k, at::Tensor v,
                                           const BlockInputs& in) {
    hookQ->run(q, in.positionOffset);
    hookK->run(k, in.positionOffset);
    hookV->run(v, in.positionOffset);
    if (m_config.positions == PositionKind::Rotary) {
        q = applyRope(q, in.ropeCos, in.ropeSin);
        k = applyRope(k, in.ropeCos, in.ropeSin);
    }
    hookRotQ->run(q, in.positionOffset);
    hookRotK->run(k, in.positionOffset);
    at::Tensor kh = k.transpose(1, 2);  // [batch, kv_head, pos, d]
    at::Tensor vh = v.transpose(1, 2);
    if (in.cache) std::tie(kh, vh) = in.cache->append(m_layer, kh, vh);

    at::Tensor z = attend(q, kh, vh, in).transpose(1, 2);  // [batch, pos, head, d]
    hookZ->run(z, in.positionOffset);
    return z;
}

at::Tensor AttentionLayer::causalMask(int64_t queries, int64_t queryOffset, int64_t keys) const {
    // true where the key is hidden from the query: in the future, or beyond the sliding window.
    auto qpos = at::arange(queryOffset, queryOffset + queries,
                           at::TensorOptions().dtype(at::kLong).device(wO.device()))
                    .unsqueeze(1);
    auto kpos =
        at::arange(keys, at::TensorOptions().dtype(at::kLong).device(wO.device())).unsqueeze(0);
    auto hidden = kpos > qpos;
    if (m_config.usesSlidingWindow(m_layer))
        hidden = hidden.logical_or(kpos <= qpos - *m_config.slidingWindow);
    return hidden;  // [queries, keys]
}

at::Tensor AttentionLayer::attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const BlockInputs& in) {
    // The full [batch, head, query, key] scores are materialised only when a hook wants them or
    // they fit the budget; otherwise attention runs over blocks of query rows.
    const int64_t scoreBytes = q.size(0) * q.size(2) * q.size(1) * k.size(2) * 4;
    const bool patternWanted = hookAttnScores->active() || hookPattern->active();
    if (patternWanted || scoreBytes <= in.scoreBudgetBytes) return attendFull(q, k, v, in);
    return attendBlockwise(q, k, v, in);
}

// q [batch, pos, head, d]; k, v [batch, kv_head, keys, d] → z [batch, head, pos, d].
// Query heads of one KV group are stacked as rows so that K and V are never repeated.
at::Tensor AttentionLayer::attendFull(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const BlockInputs& in) {
    const int64_t offset = in.positionOffset;
    const int64_t b = q.size(0), t = q.size(1), H = q.size(2), d = q.size(3);
    const int64_t Hkv = k.size(1), g = H / Hkv, T = k.size(2);
    auto qg = (q * m_scale).permute({0, 2, 1, 3}).reshape({b, Hkv, g * t, d});
    at::Tensor scores = at::matmul(qg, k.transpose(-1, -2)).view({b, H, t, T}).to(at::kFloat);
    scores.masked_fill_(causalMask(t, offset, T), -std::numeric_limits<float>::infinity());
    hookAttnScores->run(scores, offset);
    if (hookPatternLse->active()) {
        at::Tensor lse = at::logsumexp(scores, -1);  // [batch, head, query]
        hookPatternLse->run(lse, offset);
    }
    at::Tensor pattern = at::softmax(scores, -1);  // fp32 as every reference does
    hookPattern->run(pattern, offset);
    if (in.statistics) {
        auto& st = *in.statistics;
        const auto l = static_cast<std::size_t>(m_layer);
        st.computeRows(pattern, st.massOnKeys[l], st.rowArgmax[l], st.rowEntropy[l]);
    }
    auto z = at::matmul(pattern.to(v.scalar_type()).view({b, Hkv, g * t, T}), v);
    return z.view({b, H, t, d});
}

at::Tensor AttentionLayer::attendBlockwise(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& v, const BlockInputs& in) {
    const int64_t offset = in.positionOffset;
    const int64_t b = q.size(0), t = q.size(1), H = q.size(2), d = q.size(3);
    const int64_t Hkv = k.size(1), g = H / Hkv, T = k.size(2);
    const int64_t rows = std::max<int64_t>(1, in.scoreBudgetBytes / (b * H * T * 4));
    auto q5 = (q * m_scale).permute({0, 2, 1, 3}).reshape({b, Hkv, g, t, d});
    auto z5 = at::empty({b, Hkv, g, t, d}, v.options());
    const bool wantLse = hookPatternLse->active();
    const auto rowsOptions = q.options().dtype(at::kFloat);
    at::Tensor lse = wantLse ? at::empty({b, Hkv, g, t}, rowsOptions) : at::Tensor();
    AttentionStatistics* stats = in.statistics;
    at::Tensor mass, argmax, entropy;  // [batch, kv_head, group, query]
    if (stats) {
        mass = at::empty({b, Hkv, g, t}, rowsOptions);
        entropy = at::empty({b, Hkv, g, t}, rowsOptions);
        argmax = at::empty({b, Hkv, g, t}, rowsOptions.dtype(at::kLong));
    }
    for (int64_t i0 = 0; i0 < t; i0 += rows) {
        const int64_t n = std::min(rows, t - i0);
        // Causal: this block's queries see keys up to offset + i0 + n - 1 only.
        const int64_t keys = std::min(T, offset + i0 + n);
        auto qb = q5.narrow(3, i0, n).reshape({b, Hkv, g * n, d});
        auto kb = k.narrow(2, 0, keys), vb = v.narrow(2, 0, keys);
        at::Tensor s =
            at::matmul(qb, kb.transpose(-1, -2)).view({b, Hkv, g, n, keys}).to(at::kFloat);
        s.masked_fill_(causalMask(n, offset + i0, keys), -std::numeric_limits<float>::infinity());
        if (wantLse) lse.narrow(3, i0, n).copy_(at::logsumexp(s, -1));
        at::Tensor pf = at::softmax(s, -1);  // [batch, kv_head, group, n, keys]
        if (stats) {
            at::Tensor m, a, e;
            stats->computeRows(pf, m, a, e);
            mass.narrow(3, i0, n).copy_(m);
            argmax.narrow(3, i0, n).copy_(a);
            entropy.narrow(3, i0, n).copy_(e);
        }
        auto p = pf.to(v.scalar_type()).view({b, Hkv, g * n, keys});
        z5.narrow(3, i0, n).copy_(at::matmul(p, vb).view({b, Hkv, g, n, d}));
    }
    if (wantLse) {
        at::Tensor out = lse.view({b, H, t});
        hookPatternLse->run(out, offset);
    }
    if (stats) {
        const auto l = static_cast<std::size_t>(m_layer);
        stats->massOnKeys[l] = mass.view({b, H, t});
        stats->rowArgmax[l] = argmax.view({b, H, t});
        stats->rowEntropy[l] = entropy.view({b, H, t});
    }
    return z5.view({b, H, t, d});
}

}  // namespace attnscope::capture
