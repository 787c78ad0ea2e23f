#pragma once
// Ablation of any set of heads and MLPs (issue 13, spec 6.2): zero, mean over a reference
// dataset (optionally per position), or resample (from the corrupted prompts). Built on the
// runtime's interventions (HeadAblation on hook_z, HookPatch on hook_mlp_out).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/capture/interventions.h"

namespace attnscope::analysis::circuits {

/// Heads as (layer, head) and MLPs by layer.
struct NodeSet {
    std::vector<std::pair<int64_t, int64_t>> heads;
    std::vector<int64_t> mlps;
};

/// Every head and MLP of the model not in `kept` (the ablated part of a node circuit).
NodeSet complementOf(const capture::TransformerModel& model, const NodeSet& kept);

/// Mean head outputs z and MLP outputs over reference prompts.
struct NodeMeans {
    bool perPosition = false;
    std::vector<at::Tensor> z;    ///< per layer: [head, d_head], or [pos, head, d_head]
    std::vector<at::Tensor> mlp;  ///< per layer: [d_model], or [pos, d_model]
};

/// Per position needs prompts of one length (capture::InputError otherwise); the mean then
/// applies to prompts of that length only.
NodeMeans computeNodeMeans(capture::TransformerModel& model,
                           const std::vector<std::vector<int64_t>>& prompts,
                           bool perPosition = false);

/// Interventions ablating `nodes` in runs of `length` tokens. Zero needs nothing; Mean needs
/// `means`; Resample needs `corrupted` holding hook_z and hook_mlp_out of every layer
/// (runWithCache), batch 1. Throws capture::InputError for missing inputs and nodes the model
/// lacks.
std::vector<capture::Intervention> nodeAblationInterventions(
    const capture::TransformerModel& model, const NodeSet& nodes, capture::AblationMode mode,
    int64_t length, const NodeMeans* means = nullptr, const HookActivations* corrupted = nullptr);

/// The metric (mean over the pairs' clean prompts) with `nodes` ablated. Resample takes each
/// pair's corrupted prompt; Mean takes `means` (computeNodeMeans of the clean prompts when
/// null). KL compares with the unablated clean run.
double ablatedMetric(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                     const NodeSet& nodes, capture::AblationMode mode,
                     CircuitMetricKind metric = CircuitMetricKind::LogitDiff,
                     const NodeMeans* means = nullptr);

/// Faithfulness of a node circuit (spec 6.2): metric(everything outside `kept` ablated) /
/// metric(full model).
double nodeCircuitFaithfulness(capture::TransformerModel& model,
                               const std::vector<PromptPair>& pairs, const NodeSet& kept,
                               capture::AblationMode mode,
                               CircuitMetricKind metric = CircuitMetricKind::LogitDiff,
                               const NodeMeans* means = nullptr);

}  // namespace attnscope::analysis::circuits
