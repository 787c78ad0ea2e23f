#pragma once

#include <functional>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/capture/progress.h"

namespace attnscope::analysis {

/// Scores a candidate head set S (typically GShips(S), §3.4, from two forward sweeps).
using HeadSetScoreFn = std::function<double(const std::vector<HeadId>&)>;

/// Result of the Sahara greedy search.
struct SaharaResult {
    /// Heads in the order they were added.
    std::vector<HeadId> selected;
    /// One table per completed step: score[(l,h)] = gships(S u {(l,h)}); NaN for heads
    /// already in S.
    std::vector<HeadTable> stepScores;
};

/// §3.5 Sahara (SH safety_head_attribution), greedy:
///
///     S = {}
///     repeat steps times:
///         for every head (l,h) not in S: score[(l,h)] = gships(S u {(l,h)})
///         (l*, h*) = argmax score;  S = S u {(l*, h*)}
///
/// Candidates are evaluated in row-major (layer, head) order and S u {(l,h)} is passed as S
/// followed by (l,h). Ties go to the first head in that order; NaN scores never win.
/// Default steps = 1 (the code's search_step); the paper's group size (~3) is [UNVERIFIED].
/// `progress` receives the fraction of evaluations done after each one; it is checked before
/// every evaluation, and a cancelled search throws capture::Cancelled (no partial result).
/// Throws std::invalid_argument if layers/heads < 1, steps not in [1, layers*heads] or gships
/// is empty; std::runtime_error if every candidate of a step scores NaN.
SaharaResult saharaSearch(int layers, int heads, int steps, const HeadSetScoreFn& gships,
                          const capture::Progress& progress = {});

}  // namespace attnscope::analysis
