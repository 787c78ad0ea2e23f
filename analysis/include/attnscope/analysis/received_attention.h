#pragma once

#include <Eigen/Core>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

/// §1.2 received-attention importance of every key of one head's causal prefill map:
///
///     alpha[k] = ( sum_{q=k}^{T-1} A[q, k] ) / (T - k),   k = 0..T-1
///
/// the mean attention key k receives from the queries allowed to see it (alpha[T-1] =
/// A[T-1, T-1]). Shared by Gu et al. (sink rate), ACT and the active/dormant metrics.
/// Sums in double. Throws std::invalid_argument unless `attention` is a causal map
/// (see requireCausalAttentionMap).
Eigen::VectorXd receivedAttention(const AttentionMap& attention);

}  // namespace attnscope::analysis
