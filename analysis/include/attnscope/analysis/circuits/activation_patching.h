#pragma once
// Activation patching (issue 13): one run (the base) carries, at chosen components, the
// activations of another run (the source). Per head at z, q, k, v and pattern; per layer at
// resid_pre, attn_out and mlp_out; at all positions or chosen ones. Noising puts the corrupted
// activation into the clean run, denoising the clean one into the corrupted run. Many patched
// variants share one forward, stacked on the batch axis. On GQA models k and v are patched per
// KV head.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit_metric.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis::circuits {

/// Where a patch applies. Embed (the token embeddings, hook_embed) is not a sweep site of the
/// CLI; it completes the set of residual writers for exactness checks.
enum class PatchSite { Z, Q, K, V, Pattern, ResidPre, AttnOut, MlpOut, Embed };

/// "z", "q", "k", "v", "pattern", "resid_pre", "attn_out", "mlp_out", "embed". Throws
/// capture::InputError listing the sites for anything else.
PatchSite parsePatchSite(const std::string& name);
const char* patchSiteName(PatchSite site);
/// The hook of `site` in `layer` (TransformerLens name), e.g. "blocks.2.attn.hook_z".
std::string patchSiteHook(PatchSite site, int64_t layer);
/// Whether the site is indexed by head (z, q, pattern: query heads; k, v: KV heads).
bool isPerHeadSite(PatchSite site);
/// The dimensions of a site's activation (batch first) that index heads (-1: none) and
/// positions (query positions for pattern).
int64_t siteHeadDim(PatchSite site);
int64_t sitePositionDim(PatchSite site);
/// Heads per layer at a site on `model`: H, or H_kv for k and v; 1 for per-layer sites.
int64_t siteComponents(const capture::TransformerModel& model, PatchSite site);

enum class PatchDirection { Noising, Denoising };
/// "noising" or "denoising"; capture::InputError otherwise.
PatchDirection parsePatchDirection(const std::string& name);
const char* patchDirectionName(PatchDirection direction);

/// Activations of one forward at some hooks: hook name → the tensor itself, batch dimension
/// kept, not copied (capture::ActivationCache is the capture files' kind: one entry per forward
/// call, copied as a CaptureSpec says).
using HookActivations = std::map<std::string, at::Tensor>;

/// Runs `ids` [1, pos] and records the activations of `hooks`; returns the last-position
/// logits [1, vocab].
at::Tensor runWithCache(capture::TransformerModel& model, const at::Tensor& ids,
                        const std::vector<std::string>& hooks, HookActivations& cache);

/// One patched component: `site` of `layer`, the heads (per-head sites; empty = every head),
/// at `positions` (empty = all; negative counts from the end, -1 = the last token).
struct PatchTarget {
    PatchSite site = PatchSite::Z;
    int64_t layer = 0;
    std::vector<int64_t> heads;
    std::vector<int64_t> positions;
};

/// The base run `baseIds` [1, pos] once per variant, each with its targets taken from
/// `source` (which must hold every targeted hook: see runWithCache), the variants stacked in
/// forwards of at most `maxBatch` rows (0: automatic, as many as keep a forward near 8,192
/// tokens, so 144 variants of 32 tokens share one forward). Returns the last-position
/// logits [variants, vocab]. Throws capture::InputError for layers, heads or positions the
/// model does not have.
at::Tensor runPatchedVariants(capture::TransformerModel& model, const at::Tensor& baseIds,
                              const HookActivations& source,
                              const std::vector<std::vector<PatchTarget>>& variants,
                              int64_t maxBatch = 0);

struct PatchingOptions {
    PatchSite site = PatchSite::Z;
    PatchDirection direction = PatchDirection::Noising;
    std::vector<int64_t> positions;  ///< empty: all; negative from the end (-1: last)
    CircuitMetricKind metric = CircuitMetricKind::LogitDiff;
    /// Patched variants per forward: 0 is automatic (see runPatchedVariants); 1 is one forward
    /// per variant (the unbatched reference the benchmark compares against).
    int64_t maxBatch = 0;
};

struct PatchingResult {
    PatchSite site = PatchSite::Z;
    PatchDirection direction = PatchDirection::Noising;
    CircuitMetricKind metric = CircuitMetricKind::LogitDiff;
    double clean = 0.0;      ///< metric of the unpatched clean run (mean over pairs)
    double corrupted = 0.0;  ///< metric of the unpatched corrupted run
    /// values[layer][component]: the metric (mean over pairs) of the base run in which only
    /// that component carries the other run's activation. Per-layer sites have one component.
    std::vector<std::vector<double>> values;
    int64_t forwards = 0;  ///< model forwards run, the unpatched ones included
};

/// The sweep over every layer and component of `options.site`. Reports progress per pair and
/// throws capture::Cancelled when cancelled; capture::InputError for bad pairs or positions.
PatchingResult activationPatchingSweep(capture::TransformerModel& model,
                                       const std::vector<PromptPair>& pairs,
                                       const PatchingOptions& options,
                                       const capture::Progress& progress = {});

}  // namespace attnscope::analysis::circuits
