#pragma once
// §4.4 active/dormant switching: a head that parks its attention on BOS at ordinary tokens and
// wakes up (attends elsewhere) at trigger tokens, as Bigram-Backcopy's copy heads do.
#include <vector>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

/// Mean BOS attention A[q, 0] of one head over two kinds of query positions.
struct BosMassByKind {
    double ordinary = 0.0;  ///< mean over queries q >= 1 that are not triggers (NaN if none)
    double trigger = 0.0;   ///< mean over the trigger queries (NaN if none)
    int ordinaryCount = 0;
    int triggerCount = 0;
};

/// Splits the queries q >= 1 of a causal map into triggers (`triggerQueries`) and the rest;
/// query 0 (BOS itself, which can only attend to BOS) counts as neither. Throws
/// std::invalid_argument for a trigger position outside 1..T-1.
BosMassByKind bosMassByQueryKind(const AttentionMap& attention,
                                 const std::vector<int>& triggerQueries);

/// The flip rule [UNVERIFIED thresholds]: dormant on ordinary tokens (ordinary >= high) and
/// active on triggers (trigger < low). False when either mean is NaN.
bool isActiveDormantFlip(const BosMassByKind& mass, double high = 0.5, double low = 0.2);

}  // namespace attnscope::analysis
