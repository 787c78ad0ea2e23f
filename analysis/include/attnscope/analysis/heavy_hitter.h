#pragma once

#include <Eigen/Core>

namespace attnscope::analysis {

/// §7.1 H2O accumulated attention of one head (modify_llama.py, _update_hh_score):
///     acc[k] = sum over the query rows q given of A[q, k]
/// `rows` is [queries, keys] (a prefill map, or decode rows); every row must sum to 1.
/// Summed in double. Throws std::invalid_argument on empty or non-stochastic rows.
Eigen::VectorXd accumulatedAttention(const Eigen::MatrixXf& rows);

/// §7.1 streaming update: extends `acc` to the rows' key count (new keys start at 0, i.e.
/// with their fresh column sum) and adds the column sums of `rows`. Throws
/// std::invalid_argument if the rows have fewer keys than acc or are not stochastic.
void accumulateAttention(Eigen::VectorXd& acc, const Eigen::MatrixXf& rows);

/// §7.1 tool metric [UNVERIFIED name]: hh_concentration = sum of the top-r keys' acc / sum acc,
/// with r = max(1, int(ratio * K)) keys (H2O's int(heavy_ratio * T) budget rule), default
/// ratio 0.1. Throws std::invalid_argument on empty acc, negative entries, zero total or a
/// ratio outside (0, 1].
double hhConcentration(const Eigen::VectorXd& acc, double ratio = 0.1);

}  // namespace attnscope::analysis
