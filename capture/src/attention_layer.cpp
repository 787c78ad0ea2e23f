#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "attnscope/capture/attention_statistics.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/transformer_block.h"
#include "new_weight.h"
#include "vector_exp.h"

namespace attnscope::capture {
namespace {

// HF rotate-half layout: the first and second halves of each head vector form the pairs.
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    // x [batch, pos, head, d]; cos/sin [pos, d] → broadcast as [1, pos, 1, d]
    const int64_t half = x.size(-1) / 2;
    const bool grad = at::GradMode::is_enabled() && x.requires_grad();
    if (x.is_cpu() && x.scalar_type() == at::kFloat && cos.scalar_type() == at::kFloat &&
        x.stride(-1) == 1 && !grad) {
        // One pass instead of six tensor ops (negate, cat, two products, sum) and their
        // temporaries, which took about a tenth of a long-context forward. The same products
        // and sums in the same order, so the result is identical.
        const int64_t B = x.size(0), P = x.size(1), heads = x.size(2), d = x.size(3);
        at::Tensor out = at::empty({B, P, heads, d}, x.options());
        const at::Tensor c = cos.contiguous(), s = sin.contiguous();
        const float *xp = x.data_ptr<float>(), *cp = c.data_ptr<float>(), *sp = s.data_ptr<float>();
        float* op = out.data_ptr<float>();
        const int64_t sb = x.stride(0), spos = x.stride(1), sh = x.stride(2);
        at::parallel_for(0, B * P, 64, [&](int64_t begin, int64_t end) {
            for (int64_t bp = begin; bp < end; ++bp) {
                const int64_t p = bp % P;
                const float *cr = cp + p * d, *sr = sp + p * d;
                for (int64_t h = 0; h < heads; ++h) {
                    const float* xr = xp + (bp / P) * sb + p * spos + h * sh;
                    float* o = op + (bp * heads + h) * d;
                    for (int64_t i = 0; i < half; ++i)
                        o[i] = xr[i] * cr[i] + -xr[i + half] * sr[i];
                    for (int64_t i = half; i < d; ++i)
                        o[i] = xr[i] * cr[i] + xr[i - half] * sr[i];
                }
            }
        });
        return out;
    }
    auto c = cos.unsqueeze(0).unsqueeze(2).to(x.scalar_type());
    auto s = sin.unsqueeze(0).unsqueeze(2).to(x.scalar_type());
    auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * c + rotated * s;
}

// Query rows (heads of a KV group × queries) per tile and keys per tile of the tiled path. A
// [256, 512] float score tile (512 KiB) with its q, k and v rows stays in one core's L2 (1 MiB
// here), and the tile GEMMs run at the BLAS roof. 512 keys rather than 256: BLAS repacks the
// query rows for every key tile (measured at T = 8192, one thread: 6.9 s against 7.0 s for
// 256 x 256 and 7.1 s for 128 x 1024). The diagonal tile is cut at the causal limit, so its
// masked part stays below 256 x 256 / 2 either way.
constexpr int64_t kTileRows = 256, kTileKeys = 512;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The per-row loops below are the only element-wise work on the T² scores, so they are
// vectorised (OpenMP simd; this file is compiled with -fopenmp) and built for several x86-64
// levels (vector_exp.h).

/// max of row[a, e); -inf when empty. An OpenMP simd max reduction over a comparison, which GCC
/// vectorises under -fno-trapping-math: 0.06 ns per score here, 0.15 ns with eight explicit
/// lanes.
ATTNSCOPE_SIMD_CLONES float rowMax(const float* row, int64_t a, int64_t e) {
    float mx = kNegInf;
#pragma omp simd reduction(max : mx)
    for (int64_t c = a; c < e; ++c)
        mx = row[c] > mx ? row[c] : mx;
    return mx;
}

/// row[c] = exp(row[c] - shift) on [a, e) and 0 on the rest of [0, mk); returns the sum, and
/// in *dot (when given) Σ exp(s - shift)·(s - shift) for the entropy.
ATTNSCOPE_SIMD_CLONES float expRow(float* row, int64_t mk, int64_t a, int64_t e, float shift,
                                   float* dot) {
    std::fill(row, row + a, 0.0f);
    std::fill(row + e, row + mk, 0.0f);
    float sum = 0, sd = 0;
#pragma omp simd reduction(+ : sum, sd)
    for (int64_t c = a; c < e; ++c) {
        const float x = row[c] - shift;
        const float p = expNonPositive(x);
        row[c] = p;
        sum += p;
        sd += p * x;
    }
    if (dot) *dot = sd;
    return sum;
}

/// What the tiled attention writes besides z; undefined tensors are not computed.
struct TiledOutputs {
    at::Tensor pattern;                 // [batch, head, query, key] float
    at::Tensor lse;                     // [batch, kv_head, group, query] float
    at::Tensor mass, argmax, entropy;   // same shape; float, int64, float
    std::vector<int64_t> keyPositions;  // keys whose mass is summed (statistics only)
};

// Causal attention over tiles of queries and keys with an online softmax (flash-attention style):
// each query tile keeps its running row maximum m, row sum l = Σ exp(s - m) and output
// O = Σ exp(s - m) v, rescaled by exp(m_old - m_new) whenever the maximum grows. No score
// matrix larger than one tile ever exists, keys past the causal limit or before the sliding
// window are never multiplied, and each score is exponentiated once. The statistics use the
// same rescaling: the mass on chosen keys like l, and for the entropy A = Σ exp(s - m)(s - m),
// so that H = log l - A / l without a second pass.
// qf [b, t, head, d] float (unscaled); kf, vf [b, kv_head, T, d] float. Any strides with the
// last one 1: q, k and v are read in place (views of the fused projection, or the KV cache)
// instead of being copied into another layout first. Returns z as [b, t, head, d] float: the
// layout the output projection reads, so that no transposed copy is needed after.
// When the pattern is wanted, one key tile spans every key a query block sees, so that each
// row's probabilities are final after it and are written to the pattern once, normalised.
at::Tensor tiledAttention(const at::Tensor& qf, const at::Tensor& kf, const at::Tensor& vf,
                          float scale, int64_t offset, int64_t window, TiledOutputs& out) {
    const int64_t b = qf.size(0), t = qf.size(1), Hkv = kf.size(1), g = qf.size(2) / Hkv,
                  d = qf.size(3), T = kf.size(2);
    const int64_t n = std::max<int64_t>(1, std::min(t, kTileRows / g));  // queries per tile
    const int64_t R = g * n, nBlocks = (t + n - 1) / n;
    at::Tensor z = at::empty({b, t, Hkv * g, d}, qf.options());
    const bool wantLse = out.lse.defined(), wantStats = out.mass.defined();
    const bool wantPattern = out.pattern.defined();
    const int64_t tileKeys = wantPattern ? std::max<int64_t>(1, T) : kTileKeys;
    float* patternP = wantPattern ? out.pattern.data_ptr<float>() : nullptr;
    const float* qp = qf.data_ptr<float>();
    const int64_t qs0 = qf.stride(0), qs1 = qf.stride(1), qs2 = qf.stride(2);
    float* zp = z.data_ptr<float>();
    float* lseP = wantLse ? out.lse.data_ptr<float>() : nullptr;
    float* massP = wantStats ? out.mass.data_ptr<float>() : nullptr;
    float* entP = wantStats ? out.entropy.data_ptr<float>() : nullptr;
    int64_t* argP = wantStats ? out.argmax.data_ptr<int64_t>() : nullptr;

    // Work items, the latest query blocks (the most keys) first so that the threads, taking
    // items in turn, finish together.
    const int64_t nItems = b * Hkv * nBlocks;
    std::atomic<int64_t> next{0};
    auto process = [&](int64_t item, at::Tensor& qBuf, at::Tensor& sBuf, at::Tensor& oBuf,
                       std::vector<float>& m, std::vector<float>& l, std::vector<float>& acc,
                       std::vector<float>& massAcc, std::vector<int64_t>& arg) {
        const int64_t block = nBlocks - 1 - item % nBlocks, head = item / nBlocks;  // b·Hkv
        const int64_t i0 = block * n, nq = std::min(n, t - i0), rows = g * nq;
        const int64_t pFirst = offset + i0, pLast = offset + i0 + nq - 1;
        const int64_t keyLo = window > 0 ? std::max<int64_t>(0, pFirst - window + 1) : 0;
        const int64_t keyHi = std::min(T, pLast + 1);
        // Gathers this tile's query rows (group head j, query i → row j·nq + i), scaled as the
        // full path scales q before its product.
        float* qb = qBuf.data_ptr<float>();
        for (int64_t j = 0; j < g; ++j)
            for (int64_t i = 0; i < nq; ++i) {
                const float* src =
                    qp + (head / Hkv) * qs0 + (i0 + i) * qs1 + ((head % Hkv) * g + j) * qs2;
                float* dst = qb + (j * nq + i) * d;
                for (int64_t c = 0; c < d; ++c)
                    dst[c] = src[c] * scale;
            }
        const at::Tensor kHead = kf[head / Hkv][head % Hkv], vHead = vf[head / Hkv][head % Hkv];
        const at::Tensor q2 = qBuf.narrow(0, 0, rows);
        at::Tensor o2 = oBuf.narrow(0, 0, rows);
        o2.zero_();
        std::fill_n(m.begin(), rows, kNegInf);
        std::fill_n(l.begin(), rows, 0.0f);
        std::fill_n(acc.begin(), rows, 0.0f);
        std::fill_n(massAcc.begin(), rows, 0.0f);
        std::fill_n(arg.begin(), rows, int64_t{0});
        for (int64_t j0 = keyLo; j0 < keyHi; j0 += tileKeys) {
            const int64_t mk = std::min(tileKeys, keyHi - j0);
            at::Tensor s = sBuf.narrow(0, 0, rows * mk).view({rows, mk});
            at::mm_out(s, q2, kHead.narrow(0, j0, mk).t());
            float* sp = s.data_ptr<float>();
            float* op = o2.data_ptr<float>();
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t p = offset + i0 + r % nq;
                const int64_t a =
                    std::clamp<int64_t>((window > 0 ? p - window + 1 : 0) - j0, 0, mk);
                const int64_t e = std::clamp<int64_t>(p + 1 - j0, a, mk);
                float* row = sp + r * mk;
                const float tmax = rowMax(row, a, e);
                const float mNew = std::max(m[r], tmax);
                const float alpha = m[r] == kNegInf ? 0.0f : std::exp(m[r] - mNew);
                if (wantStats && tmax > m[r])
                    arg[r] = j0 + (std::find(row + a, row + e, tmax) - row);
                // A row that has seen no key yet keeps zeros (and a finite shift).
                float dot = 0;
                const float sum = expRow(row, mk, a, e, mNew == kNegInf ? 0.0f : mNew,
                                         wantStats ? &dot : nullptr);
                const float lPrev = l[r];
                l[r] = lPrev * alpha + sum;
                if (alpha != 1.0f)
                    for (float* x = op + r * d; x != op + (r + 1) * d; ++x)
                        *x *= alpha;
                if (wantStats) {
                    // A is kept relative to the current maximum: moving it from m to m' adds
                    // (m - m') to every term already summed.
                    const float moved =
                        lPrev == 0.0f ? 0.0f : alpha * (acc[r] + (m[r] - mNew) * lPrev);
                    acc[r] = moved + dot;
                    float keyMass = 0;
                    for (int64_t k : out.keyPositions)
                        if (k >= j0 && k < j0 + mk) keyMass += row[k - j0];
                    massAcc[r] = massAcc[r] * alpha + keyMass;
                }
                m[r] = mNew;
            }
            const at::Tensor& prob = s;
            o2.addmm_(prob, vHead.narrow(0, j0, mk));
        }
        const float* op = o2.data_ptr<float>();
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t j = r / nq, i = i0 + r % nq;
            const int64_t idx = (head * g + j) * t + i;  // index into [b·Hkv, g, t]
            const float inv = 1.0f / l[r];
            float* zr = zp + (((head / Hkv) * t + i) * Hkv * g + (head % Hkv) * g + j) * d;
            for (int64_t c = 0; c < d; ++c)
                zr[c] = op[r * d + c] * inv;
            if (wantPattern) {
                // The only tile: keys [keyLo, keyHi) as exp(s - m), zero where masked.
                const float* row = sBuf.data_ptr<float>() + r * (keyHi - keyLo);
                float* dst = patternP + idx * T;  // [b·H, t] rows of T keys
                std::fill(dst, dst + keyLo, 0.0f);
                for (int64_t c = keyLo; c < keyHi; ++c)
                    dst[c] = row[c - keyLo] * inv;
                std::fill(dst + keyHi, dst + T, 0.0f);
            }
            const float logL = std::log(l[r]);
            if (wantLse) lseP[idx] = m[r] + logL;
            if (wantStats) {
                massP[idx] = massAcc[r] * inv;
                entP[idx] = logL - acc[r] * inv;
                argP[idx] = arg[r];
            }
        }
    };
    const int threads = at::get_num_threads();
    at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
        const auto fo = at::TensorOptions().dtype(at::kFloat);
        at::Tensor qBuf = at::empty({R, d}, fo), oBuf = at::empty({R, d}, fo);
        at::Tensor sBuf = at::empty({R * tileKeys}, fo);
        std::vector<float> m(R), l(R), acc(R), massAcc(R);
        std::vector<int64_t> arg(R);
        for (int64_t item; (item = next.fetch_add(1)) < nItems;)
            process(item, qBuf, sBuf, oBuf, m, l, acc, massAcc, arg);
    });
    return z;
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
    const int64_t t = q.size(1), H = q.size(2);
    const int64_t scoreBytes = q.size(0) * H * t * k.size(2) * 4;
    // The tiled kernel never multiplies the keys the causal mask hides nor forms a T×T
    // temporary, so on CPU without autograd it serves every prompt whose query rows per KV head
    // fill a tile, and every one whose scores exceed the budget. Below a tile its per-tile
    // overhead outweighs that: short prompts in large batches (patching sweeps) and decoding
    // steps take the batched plain path. Raw scores come from the plain path only.
    const bool grad =
        at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    const bool tiled = q.is_cpu() && !grad && !in.plainAttention && !hookAttnScores->active() &&
                       (t * (H / k.size(1)) >= kTileRows || scoreBytes > in.scoreBudgetBytes);
    if (tiled) return attendTiled(q, k, v, in);
    // The plain path materialises the full [batch, head, query, key] scores when a hook wants
    // them or they fit the budget; otherwise it runs over blocks of query rows.
    const bool patternWanted = hookAttnScores->active() || hookPattern->active();
    if (patternWanted || scoreBytes <= in.scoreBudgetBytes) return attendFull(q, k, v, in);
    return attendBlockwise(q, k, v, in);
}

at::Tensor AttentionLayer::attendTiled(const at::Tensor& q, const at::Tensor& k,
                                       const at::Tensor& v, const BlockInputs& in) {
    const int64_t offset = in.positionOffset;
    const int64_t b = q.size(0), t = q.size(1), H = q.size(2), d = q.size(3);
    const int64_t Hkv = k.size(1), g = H / Hkv, T = k.size(2);
    // Scores in float32 for every compute dtype, as the full path does: bf16/f16 q, k and v are
    // converted once (O(T)); float ones are used as they are, views included.
    auto asFloat = [](const at::Tensor& x) {
        at::Tensor f = x.to(at::kFloat);
        return f.stride(-1) == 1 ? f : f.contiguous();
    };
    const at::Tensor qf = asFloat(q), kf = asFloat(k), vf = asFloat(v);
    const auto rowsOptions = q.options().dtype(at::kFloat);
    TiledOutputs out;
    if (hookPattern->active()) out.pattern = at::empty({b, H, t, T}, rowsOptions);
    if (hookPatternLse->active()) out.lse = at::empty({b, Hkv, g, t}, rowsOptions);
    AttentionStatistics* stats = in.statistics;
    if (stats) {
        out.mass = at::empty({b, Hkv, g, t}, rowsOptions);
        out.entropy = at::empty({b, Hkv, g, t}, rowsOptions);
        out.argmax = at::empty({b, Hkv, g, t}, rowsOptions.dtype(at::kLong));
        out.keyPositions = stats->keyPositions;
    }
    const int64_t window =
        m_config.usesSlidingWindow(m_layer) ? *m_config.slidingWindow : int64_t{0};
    at::Tensor z = tiledAttention(qf, kf, vf, static_cast<float>(m_scale), offset, window, out)
                       .permute({0, 2, 1, 3});  // [b, H, t, d], strided
    if (out.lse.defined()) {
        at::Tensor lse = out.lse.view({b, H, t});
        hookPatternLse->run(lse, offset);
    }
    const auto l = static_cast<std::size_t>(m_layer);
    if (stats) {
        stats->massOnKeys[l] = out.mass.view({b, H, t});
        stats->rowArgmax[l] = out.argmax.view({b, H, t});
        stats->rowEntropy[l] = out.entropy.view({b, H, t});
    }
    if (out.pattern.defined()) {
        at::Tensor pattern = out.pattern;
        const void* written = pattern.data_ptr();
        const auto version = pattern._version();
        hookPattern->run(pattern, offset);
        if (pattern.data_ptr() != written || pattern._version() != version) {
            // A hook edited the pattern: z and the statistics follow the edited one, as on the
            // plain path.
            if (stats)
                stats->computeRows(pattern, stats->massOnKeys[l], stats->rowArgmax[l],
                                   stats->rowEntropy[l]);
            return at::matmul(pattern.to(v.scalar_type()).reshape({b, Hkv, g * t, T}), v)
                .view({b, H, t, d});
        }
    }
    return z.to(v.scalar_type());
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
