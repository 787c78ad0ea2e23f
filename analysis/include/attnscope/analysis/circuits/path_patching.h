#pragma once
// Path patching (spec 6.1, Merullo et al.'s `path_patching`): the effect of one sender head on
// the model's output through chosen receivers only. For every sender (l, h) before the
// receivers, on the clean prompt:
//   run 1: the sender's z at `positions` comes from the corrupted run, every other head's z is
//          frozen to its clean value (and the MLP outputs too with freezeMlps); the receivers'
//          activations r are recorded;
//   run 2: the clean run with only the receivers' activations at `positions` set to r.
// score = (LD_patched − LD_clean) / (LD_corrupted − LD_clean): 0 no effect, 1 the whole
// corruption effect; logit differences are means over the pairs. Senders share forwards,
// stacked on the batch axis.
#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/activation_patching.h"

namespace attnscope::analysis::circuits {

/// A receiver: q, k, v or z of heads of a layer (empty heads = all; k and v by KV head), or
/// resid_pre of a layer.
struct PathReceiver {
    PatchSite site = PatchSite::Q;
    int64_t layer = 0;
    std::vector<int64_t> heads;
};

struct PathPatchingOptions {
    std::vector<PathReceiver> receivers;
    bool freezeMlps = true;
    std::vector<int64_t> positions{-1};  ///< negative from the end; empty = all
};

struct PathPatchingResult {
    double clean = 0.0, corrupted = 0.0;  ///< mean logit differences of the unpatched runs
    /// [layer][head]: the normalised score of each sender; NaN for heads that are no sender
    /// (not before every receiver's layer, or receivers themselves).
    std::vector<std::vector<double>> scores;
    int64_t forwards = 0;
};

/// Throws capture::InputError for bad pairs, receivers (sites other than q, k, v, z and
/// resid_pre, layers or heads out of range, none at all) or positions.
PathPatchingResult pathPatching(capture::TransformerModel& model,
                                const std::vector<PromptPair>& pairs,
                                const PathPatchingOptions& options,
                                const capture::Progress& progress = {});

}  // namespace attnscope::analysis::circuits
