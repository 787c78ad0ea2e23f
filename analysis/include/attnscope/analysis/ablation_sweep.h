#pragma once
// Batched head-ablation sweeps (spec §3.1): many ablated variants of one prompt run in one
// batched forward, each batch element carrying its own ablation. Torch-free header.
#include <Eigen/Core>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
class HookScope;
}  // namespace attnscope::capture

namespace attnscope::analysis {

/// What a head ablation edits (SH mask_qkv): 'q' the query (before RoPE, equivalent after),
/// 'k' the key of a KV head (the head index is then a KV-head index), 'v' the head output z
/// before o_proj ("Scaling Contribution").
enum class MaskTarget { Query, Key, Output };

/// SH mask_type: scale_mask multiplies by epsilon; mean_mask replaces the head's q (k, z) with
/// the mean over all heads (KV heads for 'k') at the same position.
enum class MaskType { Scale, Mean };

struct AblationSpec {
    MaskTarget target = MaskTarget::Query;
    MaskType type = MaskType::Scale;
    double epsilon = 1e-4;  ///< scale factor (get_ships.py __main__); unused by Mean
};

/// "q" | "k" | "v"; throws capture::InputError otherwise.
MaskTarget parseMaskTarget(const std::string& text);
/// "scale" | "mean"; throws capture::InputError otherwise.
MaskType parseMaskType(const std::string& text);

/// Heads ablated together in one variant (empty: the unablated model).
using HeadSet = std::vector<HeadId>;

/// Number of heads a MaskTarget addresses per layer: H for 'q'/'v', H_kv for 'k'.
int maskHeadCount(const capture::TransformerModel& model, MaskTarget target);

/// Every single head of the model as its own variant, row-major (the Ships / Sahara sweep).
std::vector<HeadSet> singleHeadVariants(const capture::TransformerModel& model, MaskTarget target);

/// Adds to `scope` the hooks that ablate `perElement[b]` in batch element b. A single entry
/// applies to every batch element. Throws capture::InputError for heads the model lacks or a
/// bad epsilon. Scale uses capture::HeadScale interventions with `batch = b`; Mean uses one
/// hook per layer on hook_q / hook_k / hook_z.
void addAblationHooks(capture::HookScope& scope, const capture::TransformerModel& model,
                      const std::vector<HeadSet>& perElement, const AblationSpec& spec);

/// What a sweep returns per variant.
enum class SweepOutput {
    LastLogits,  ///< logits at the last position [vocab]
    FinalHidden  ///< post-final-norm hidden state at the last position [d_model] (§3.4)
};

struct SweepOptions {
    int64_t batchSize = 16;  ///< variants per batched forward
    SweepOutput output = SweepOutput::LastLogits;
    /// Layers below a batch's earliest ablated layer are identical for every variant: run them
    /// once with batch 1 and expand the residual stream at that layer's hook_resid_pre.
    bool sharePrefix = true;
    /// Reported after every batch ("done of total variants"); cancel polled before each.
    capture::Progress progress;
};

/// One row per variant (row-major: rows are contiguous).
using SweepRows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Runs `ids` once per variant, `batchSize` variants per batched forward, and returns the
/// selected output per variant, in variant order. Equal, up to float rounding, to one forward
/// per variant with the same ablation. Throws capture::Cancelled when cancelled and
/// capture::InputError for empty ids, batchSize < 1 or heads the model lacks.
SweepRows ablationSweep(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                        const std::vector<HeadSet>& variants, const AblationSpec& spec,
                        const SweepOptions& options = {});

}  // namespace attnscope::analysis
