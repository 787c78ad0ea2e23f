#pragma once

#include <Eigen/Core>
#include <string_view>

namespace attnscope::analysis {

/// One head's attention probabilities A[query, key] (fp32, as every reference computes the
/// softmax in fp32). Row q is the distribution of query q over the keys.
using AttentionMap = Eigen::MatrixXf;

/// Tolerance on row sums (|sum - 1|) and on entries above the diagonal of a causal map. fp32
/// softmax rows of a few thousand keys sum to 1 within ~1e-4; 1e-3 leaves headroom.
inline constexpr double kRowSumTolerance = 1e-3;

/// Checks that `attention` is a causal prefill map: non-empty, square, finite, entries in
/// [0, 1 + tol], every row summing to 1 within `tolerance`, and entries above the diagonal
/// (keys a causal query cannot see) at most `tolerance`. Throws std::invalid_argument naming
/// `context` and the first offending row/entry.
void requireCausalAttentionMap(const AttentionMap& attention, std::string_view context,
                               double tolerance = kRowSumTolerance);

/// Checks a block of attention rows [rows, keys] (e.g. decode-step rows or a prefix of a
/// prefill map): non-empty, finite, entries in [0, 1 + tol], rows summing to 1 within
/// `tolerance`. No shape or causality requirement. Throws std::invalid_argument.
void requireAttentionRows(const Eigen::MatrixXf& rows, std::string_view context,
                          double tolerance = kRowSumTolerance);

}  // namespace attnscope::analysis
