#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {

/// §5.1 streaming mask (duo_attn/patch/streaming_attn.py::generate_streaming_mask): key j is
/// visible to query i iff j <= i and (j < sinkSize or j > i - recentSize).
bool streamingVisible(long long query, long long key, long long sinkSize, long long recentSize);

/// §5.2 learning-rate multiplier at step s of N (duo_attn/train.py):
///     min(1, max((s+1)/(N/5), 0.1), max((N-s)/(N/5), 0.1))
/// a linear warm-up from 0.1 over the first 20% of steps and a decay to 0.1 over the last 20%.
/// Throws std::invalid_argument if totalSteps < 1.
double duoLrMultiplier(long long step, long long totalSteps);

/// §5.2 regulariser (duo_attn/loss.py::l1_loss): mean |alpha| over all (layer, KV head) gates,
/// i.e. sum |alpha| / (L * H_kv). Throws std::invalid_argument on an empty table.
double duoL1Regularizer(const HeadTable& gates);

/// §5.2 distillation loss: sum over supervised positions t of mean_D (h[t] - h~[t])^2,
/// divided by their number. h and hTilde are [T, D] final hidden states (post final norm);
/// supervised[t] marks label != -100. Computed in double. Throws std::invalid_argument on
/// mismatched shapes or no supervised position.
double duoDistillLoss(const Eigen::MatrixXf& hidden, const Eigen::MatrixXf& hiddenTilde,
                      const std::vector<bool>& supervised);

/// Result of the §5.4 quantile split.
struct DuoClassification {
    HeadTable gates;        ///< clip(alpha, 0, 1) + U(0, 1e-6) noise, as thresholded
    double threshold = 0;   ///< quantile(gates, sparsity); 2 if sparsity >= 1, -1 if <= 0
    HeadTable isRetrieval;  ///< 1.0 (retrieval / full attention) where gate >= threshold
    double sparsity = 0;    ///< achieved fraction of streaming heads
};

/// §5.4 (duo_attn/utils.py::load_attn_pattern + sparsify_attention_heads) on a
/// [layers, KV heads] table of trained gates: clip to [0, 1], add Uniform(0, 1e-6) noise to
/// break ties, thr = np.quantile(gates, sparsity) (linear interpolation), retrieval head iff
/// gate >= thr. `sparsity` is the target fraction of STREAMING heads. The noise reproduces
/// numpy's legacy `np.random.seed(seed); np.random.uniform(0, 1e-6, shape)` bit for bit
/// (MT19937, 53-bit doubles), in row-major order. Throws std::invalid_argument on an empty
/// table, NaN gates or NaN sparsity.
DuoClassification duoClassify(const HeadTable& alphas, double sparsity, std::uint32_t seed = 0);

/// numpy's np.quantile(values, q) with the default 'linear' method. Throws
/// std::invalid_argument on empty values or q outside [0, 1].
double numpyQuantile(std::vector<double> values, double q);

}  // namespace attnscope::analysis
