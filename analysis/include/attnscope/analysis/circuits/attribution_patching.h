#pragma once
// Node-level attribution patching (spec 6.4, Nanda 2023): the first-order estimate of every
// component's patching effect from one forward and one backward per batch of pairs,
//     attr(a) = Σ_d (a_source − a_base) ⊙ ∂M/∂a |_base
// Denoising (the TransformerLens demo's direction): the base is the corrupted run and the
// source the clean one. Noising: the base is the clean run and the source the corrupted one,
// estimating M(clean with the corrupted a) − M(clean), what `patch` measures exactly.
#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/activation_patching.h"

namespace attnscope::analysis::circuits {

struct AttributionPatchingOptions {
    PatchSite site = PatchSite::Z;
    /// Denoising by default, as spec 6.4 and the demo it follows (gradient at the corrupted run).
    PatchDirection direction = PatchDirection::Denoising;
    CircuitMetricKind metric = CircuitMetricKind::LogitDiff;
    int64_t maxBatch = 32;  ///< pairs per forward and backward
};

struct AttributionPatchingResult {
    PatchSite site = PatchSite::Z;
    PatchDirection direction = PatchDirection::Denoising;
    double clean = 0.0, corrupted = 0.0;  ///< the metric of the unpatched runs (mean)
    /// [layer][component]: the estimate summed over positions, mean over pairs.
    std::vector<std::vector<double>> values;
    /// [layer][component][position], mean over pairs; empty unless every pair has one length.
    std::vector<std::vector<std::vector<double>>> perPosition;
};

/// Gradients are taken with autograd enabled locally (the runtime runs under NoGradGuard
/// elsewhere). Throws capture::InputError for bad pairs; capture::Cancelled when cancelled.
AttributionPatchingResult attributionPatching(capture::TransformerModel& model,
                                              const std::vector<PromptPair>& pairs,
                                              const AttributionPatchingOptions& options = {},
                                              const capture::Progress& progress = {});

}  // namespace attnscope::analysis::circuits
