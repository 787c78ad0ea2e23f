#pragma once

#include <Eigen/Core>
#include <vector>

namespace attnscope::analysis {

/// §7.2 A2SF score of one KV group (A2SF policies/a2sf.py::A2SFPolicy), for the query heads
/// h with kv(h) = j:
///
///     score[k] = sum_{q=0}^{T-1} lambda^(T-1-q) * sum_h A[h, q, k]     (newest query weight 1)
///
/// the closed form of A_n = lambda * A_{n-1} + S_n. lambda = 1 gives H2O's score. The README
/// example uses 0.95; there is no paper default [UNVERIFIED]. `groupMaps` are the group's
/// [queries, keys] maps, all the same shape, rows summing to 1. Summed in double. Throws
/// std::invalid_argument on an empty group, mismatched shapes or lambda outside (0, 1].
Eigen::VectorXd a2sfGroupScore(const std::vector<Eigen::MatrixXf>& groupMaps, double lambda);

/// a2sfGroupScore for every KV head: headMaps[h] for query heads h = 0..H-1, grouped by
/// kv(h) = floor(h / (H / kvHeads)) (HF repeat_kv). Throws std::invalid_argument if kvHeads
/// < 1 or does not divide H.
std::vector<Eigen::VectorXd> a2sfScores(const std::vector<Eigen::MatrixXf>& headMaps, int kvHeads,
                                        double lambda);

}  // namespace attnscope::analysis
