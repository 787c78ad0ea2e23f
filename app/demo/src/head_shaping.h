#pragma once
// Makes a demo task's answers rest on chosen heads (the retrieval heads of the needle task, the
// safety heads of the refusal task, the active-dormant head of Bigram-Backcopy), so that the
// analyses have a ground truth by construction.
#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "attnscope/app/demo/demo_example.h"
#include "attnscope/app/demo/demo_random.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::app::demo {

/// Where one sequence is shaped: query positions (rows) and the key positions the chosen heads
/// alone should read there, one list per source kind (roleSourceKinds; a list may be empty: then
/// only the dropout applies), and the rows where dropped heads attend uniformly (the decision
/// rows, or the whole prompt: HeadRole).
struct ShapedRows {
    std::vector<int64_t> rows;
    std::vector<std::vector<int64_t>> keys;
    std::vector<int64_t> droppedRows;
    /// Role heads dropped in this sequence besides the random others (HeadRole::roleHeadDropout).
    std::vector<std::pair<int64_t, int64_t>> droppedRoleHeads;
};

/// While alive, hooks every layer's attention pattern during one forward of a batch. At the
/// dropped rows it replaces the patterns of `role.dropout` random heads per sequence, drawn from
/// the heads outside `role.heads`, and of the sequence's droppedRoleHeads, by uniform causal
/// attention; at the rows it sums every such
/// head's attention on the keys, and each role head's attention on the keys of the source kinds
/// that are not its own (HeadRole::sourceKinds); `penalty()` is that sum's mean over the
/// sequences and the penalised heads, per row (0 to 1).
class HeadShaping {
public:
    HeadShaping(capture::TransformerModel& model, const HeadRole& role,
                const std::vector<ShapedRows>& batch, int64_t length, Rng& rng);
    at::Tensor penalty() const;

private:
    void onPattern(at::Tensor& pattern, int64_t layer);

    capture::HookScope m_scope;
    at::Tensor m_keys;       // [K, B, 1, T, T]: 1/rows at (row, key) per source kind
    at::Tensor m_penalised;  // [L, K, 1, H]: 1 where a head must not read a kind's keys
    at::Tensor m_dropped;    // [L, B, H, T, 1]: 1 at the rows of dropped heads
    at::Tensor m_uniform;    // [T, T]: causal uniform rows
    at::Tensor m_sum;
    double m_divisor = 0.0;
};

/// While alive, hooks every layer during one forward of a Bigram-Backcopy batch and measures the
/// role's hinge on its head's <bos> attention, plus the other heads' hinge on their gap between
/// ordinary positions and triggers (SinkRole::othersMaxGap). Positions past a sequence's end
/// (padding) and position 0 are not counted.
class SinkShaping {
public:
    SinkShaping(capture::TransformerModel& model, const SinkRole& role,
                const std::vector<Example>& batch, int64_t length);
    at::Tensor shortfall() const;

private:
    capture::HookScope m_scope;
    SinkRole m_role;
    at::Tensor m_ordinary;  // [B, T]: 1/(ordinary positions) at a sequence's ordinary positions
    at::Tensor m_trigger;   // [B, T]: 1/(triggers) at its trigger positions
    at::Tensor m_value;
    at::Tensor m_others;  // the other heads' gap hinge, summed over the layers so far
};

}  // namespace attnscope::app::demo
