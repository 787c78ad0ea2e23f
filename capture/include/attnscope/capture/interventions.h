#pragma once
// Edits applied at hook points while the model runs. Each is a small value object; a list of
// them is what the GUI edits and what the capture file records. Every intervention can target
// one batch element, so B variants run in one batched forward.
#include <ATen/ATen.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "attnscope/capture/hook_registry.h"

namespace attnscope::capture {

class TransformerModel;

enum class AblationMode { Zero, Mean, Resample };

/// Replaces the heads' outputs z (hook_z). Mean: `replacement` is the head's mean output
/// ([d_head] or [pos, d_head]); when undefined, the mean over this prompt's positions is used.
/// Resample: `replacement` is z from another run, [pos, head, d_head] (all heads of the layer).
struct HeadAblation {
    int64_t layer = 0;
    std::vector<int64_t> heads;
    AblationMode mode = AblationMode::Zero;
    at::Tensor replacement;
    int64_t batch = -1;  ///< -1: every batch element
};

enum class ScaleTarget {
    Output,  ///< z ← factor·z (a head's contribution)
    Query,   ///< q ← factor·q; factor → 0 makes attention uniform (Ships' "q" ablation)
    Key      ///< k ← factor·k of a KV head (index is a KV-head index)
};

struct HeadScale {
    int64_t layer = 0;
    std::vector<int64_t> heads;
    double factor = 0.0;
    ScaleTarget target = ScaleTarget::Output;
    int64_t batch = -1;
};

/// Overwrites a hook's activation with `value` (from another run), for all or chosen heads and
/// positions. `value` has the hook's shape without the batch dimension, over the full sequence.
struct HookPatch {
    std::string hook;
    at::Tensor value;
    std::vector<int64_t> heads;      ///< empty: all (hooks with a head dimension)
    std::vector<int64_t> positions;  ///< empty: all (absolute positions)
    int64_t batch = -1;
};

/// Restricts heads to the first `sinkTokens` keys plus the `window` most recent ones
/// (DuoAttention streaming heads): key j is visible to query i iff j <= i and
/// (j < sinkTokens or j > i - window).
struct StreamingRestriction {
    int64_t layer = 0;
    std::vector<int64_t> heads;
    int64_t sinkTokens = 4;
    int64_t window = 64;
    int64_t batch = -1;
};

/// A user callback that rewrites a head's attention pattern [query, key] (rows must stay
/// distributions); `positionOffset` is the absolute position of the first query row.
using PatternEditFn =
    std::function<at::Tensor(const at::Tensor& pattern, int64_t head, int64_t positionOffset)>;
struct PatternEdit {
    int64_t layer = 0;
    std::vector<int64_t> heads;
    PatternEditFn edit;
    std::string description = "pattern edit";
    int64_t batch = -1;
};

using Intervention =
    std::variant<HeadAblation, HeadScale, HookPatch, StreamingRestriction, PatternEdit>;

/// Adds the hooks implementing `interventions` to `scope`. Throws InputError for layers, heads,
/// hooks or shapes the model does not have.
void applyInterventions(HookScope& scope, const TransformerModel& model,
                        const std::vector<Intervention>& interventions);

/// A JSON description (tensors summarised by shape), for capture files and the GUI.
nlohmann::json describeInterventions(const std::vector<Intervention>& interventions);

}  // namespace attnscope::capture
