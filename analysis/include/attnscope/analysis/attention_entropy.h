#pragma once

#include <Eigen/Core>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

/// §4.4 (AD LLM/src/entropy.py::row_tokenwise_normalized_entropy) per query q:
///
///     H_row[q] = -sum_k p_qk log p_qk / log(q + 1),   p = A[q, :] / sum_k A[q, :]
///
/// 0 for q = 0 (log 1 = 0), and 0 log 0 = 0. Throws std::invalid_argument unless A is causal.
Eigen::VectorXd rowNormalizedEntropies(const AttentionMap& attention);

/// row_entropy[h] = mean over all T queries of rowNormalizedEntropies (q = 0 counts as 0).
double rowEntropy(const AttentionMap& attention);

/// §4.4 (entropy.py::column_tokenwise_normalized_entropy) per key k:
///
///     H_col[k] = -sum_q r_qk log r_qk / log(T - k),   r_qk = A[q, k] / sum_q A[q, k]
///
/// 0 for k = T-1 (log 1 = 0) and for a column with no mass. Throws std::invalid_argument
/// unless A is causal.
Eigen::VectorXd columnNormalizedEntropies(const AttentionMap& attention);

/// col_entropy[h] = max over keys of columnNormalizedEntropies.
double colEntropy(const AttentionMap& attention);

/// §4.4 entropy detector: dormant-like iff rowEntropy < tauRow AND colEntropy > tauCol.
/// tauRow and tauCol have no defaults in the reference [UNVERIFIED]: the caller chooses.
bool isDormantLike(double rowEntropyValue, double colEntropyValue, double tauRow, double tauCol);

}  // namespace attnscope::analysis
