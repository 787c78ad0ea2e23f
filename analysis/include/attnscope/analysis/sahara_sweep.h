#pragma once
// Generalized Ships (§3.4) and the Sahara search (§3.5) driven by batched ablation sweeps:
// every candidate head set of a search step is evaluated for all N queries with B candidates
// per batched forward. Torch-free header.
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/analysis/head_table.h"
#include "attnscope/capture/progress.h"

namespace attnscope::analysis {

/// Settings shared by the functions below.
struct GShipsOptions {
    int rank = 1;                ///< principal angles summed (r > 1 is [UNVERIFIED]; code: 1)
    int64_t batchSize = 16;      ///< head sets per batched forward
    capture::Progress progress;  ///< optional report and cancel
};

/// M = [h_1; ...; h_N]: the post-final-norm hidden state at the last position of each prompt
/// with `heads` ablated ([N, d_model]). Throws capture::Cancelled when cancelled.
SweepRows finalHiddenStates(capture::TransformerModel& model,
                            const std::vector<std::vector<int64_t>>& prompts, const HeadSet& heads,
                            const AblationSpec& spec, const GShipsOptions& options = {});

/// GShips(A) = gshipsAngle(M, M_A, rank) for every set A of `sets`, with M the unablated
/// states. Throws capture::Cancelled when cancelled, capture::InputError for no prompts or bad
/// heads.
std::vector<double> gshipsOfSets(capture::TransformerModel& model,
                                 const std::vector<std::vector<int64_t>>& prompts,
                                 const std::vector<HeadSet>& sets, const AblationSpec& spec,
                                 const GShipsOptions& options = {});

struct SaharaSweepResult {
    std::vector<HeadId> selected;       ///< in the order they were added
    std::vector<HeadTable> stepScores;  ///< per step: GShips(S u {h}); NaN for heads in S
    double selectedScore = 0.0;         ///< GShips of the final set (last step's maximum)
};

/// The Sahara greedy search (analysis::saharaSearch) over `steps` steps, each step's
/// candidates evaluated in batched sweeps. Heads are query heads, or KV heads for 'k'.
SaharaSweepResult saharaSweep(capture::TransformerModel& model,
                              const std::vector<std::vector<int64_t>>& prompts, int steps,
                              const AblationSpec& spec, const GShipsOptions& options = {});

}  // namespace attnscope::analysis
