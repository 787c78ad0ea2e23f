#pragma once
// Edge patching (spec 6.6) and the edge-level circuit discovery built on it: EAP and EAP-IG
// (6.7), ACDC (6.3), faithfulness curves (6.8). Every receiver input (each head's q, each KV
// head's k and v, each MLP, the logits) is formed separately from the sum of its senders'
// outputs; a removed edge u→v adds (z′_u − z_u) to v's input, z_u taken from the current
// forward so that removals upstream propagate.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/analysis/circuits/edge_graph.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis::circuits {

/// The first name of PromptPair in this interface, kept for its callers.
using TokenPair = PromptPair;

struct EdgePatchingOptions {
    /// What a removed edge carries (z′): "resample" (the corrupted run), "zero", or "mean" (the
    /// mean of the clean runs of `meanReference`, or of the pairs when it is empty; per position
    /// when every prompt has the same length, over positions otherwise).
    std::string ablation = "resample";
    /// "logit-diff" (answer − wrong at the last position) or "kl" (KL of the clean run's
    /// last-position distribution to the patched one), averaged over pairs.
    std::string metric = "logit-diff";
    int64_t batchSize = 32;  ///< pairs per forward
    std::vector<PromptPair> meanReference;
};

/// Evaluates circuits over a fixed set of prompt pairs. The constructor runs and caches the
/// clean and corrupted (or zero / mean) sender outputs once; each evaluate() then costs one
/// patched forward per batch of pairs. Not thread-safe; the model must outlive it.
class EdgePatcher {
public:
    /// Throws capture::InputError for an empty pair list, pairs of unequal lengths, token ids
    /// out of range or prompts longer than the context (naming the pair, and its line when it
    /// came from a file), std::invalid_argument for an unknown ablation or metric.
    EdgePatcher(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                EdgePatchingOptions options = {}, const capture::Progress& progress = {});
    ~EdgePatcher();
    EdgePatcher(const EdgePatcher&) = delete;
    EdgePatcher& operator=(const EdgePatcher&) = delete;

    const EdgeGraph& graph() const;
    const EdgePatchingOptions& options() const;
    capture::TransformerModel& model() const;
    int64_t pairCount() const;
    /// Patched forwards over all pairs run since construction (evaluate, curves, ACDC).
    int64_t forwardCount() const;

    /// The metric (mean over pairs) with only the edges where keptEdges[e] != 0.
    /// keptEdges has graph().edgeCount() entries (std::invalid_argument otherwise). When
    /// `logits` is set it receives the circuit's last-position logits [pairs, vocab] (float32,
    /// pair order) of the same forward, so metric and predictions cost one forward together.
    double evaluate(const std::vector<uint8_t>& keptEdges, at::Tensor* logits = nullptr);
    /// Last-position logits [pairs, vocab] (float32) of the circuit, in pair order.
    at::Tensor circuitLogits(const std::vector<uint8_t>& keptEdges);

    /// The pairs' common token length T, or 0 when their lengths differ (then nothing
    /// per-position is defined).
    int64_t positionCount() const;
    /// evaluate() with edges removed at single positions: keptCells[e * T + p] != 0 keeps edge
    /// e at position p (T = positionCount()). The residual stream is position-local, so edge
    /// u→v at p carries z_u[p] into v's input at p; removing an edge at every position is
    /// removing the edge. The logits read the last position only: an edge into them is removed
    /// by its last-position entry. Throws capture::InputError when the pairs differ in length,
    /// std::invalid_argument when keptCells has not edgeCount() * T entries.
    double evaluateAtPositions(const std::vector<uint8_t>& keptCells, at::Tensor* logits = nullptr);
    /// The metric (mean over pairs) with each edge alone removed, [edgeCount()]: evaluate() of
    /// every single-edge removal, computed faster. Before the removed edge's receiver the
    /// forward is the clean run, so each starts there from the clean run's residual stream,
    /// and removals that start at the same layer share forwards, stacked on the batch axis.
    /// Counts one forward per edge; reports progress per forward and throws capture::Cancelled
    /// when cancelled.
    std::vector<double> singleEdgeRemovals(const capture::Progress& progress = {});
    double fullModel() const;     ///< metric with every edge kept (the clean run)
    double emptyCircuit() const;  ///< metric with every edge removed
    /// (m(C) − m(∅)) / (m(M) − m(∅)), spec 6.8.
    double faithfulness(double circuitMetric) const;

    /// Faithfulness of the top-k edges by score (absolute or signed) for every k of the MIB
    /// grid (faithfulnessGridPercent()); one patched forward per grid point.
    std::vector<FaithfulnessPoint> faithfulnessCurve(const std::vector<float>& scores,
                                                     bool absolute,
                                                     const capture::Progress& progress = {});

    /// Per-edge scores of first-order attribution (spec 6.7): the estimated increase of the
    /// loss (−logit difference, or KL) when the edge is removed; steps == 0 is EAP (gradient at
    /// the clean run), steps >= 1 is EAP-IG over `steps` input interpolations. When
    /// `positionScores` is set it receives the same scores per position, [edges, T] row-major
    /// (T = positionCount(); the sum over positions is the returned score): the sum over
    /// batch and d of (z′_u − z_u)[p] · ∂L/∂in_v[p]. Edges into the logits score at the last
    /// position only. Throws capture::InputError for per-position scores when the pairs differ
    /// in length.
    std::vector<float> attributionScores(int steps, const capture::Progress& progress = {},
                                         std::vector<float>* positionScores = nullptr);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The discovery methods; each returns a Circuit with scores for every edge, method, metric,
/// ablation, parameters and the model fingerprint. inCircuit is empty for the scoring methods
/// (choose with selectTopEdges) and ACDC's kept set for acdc().
/// With `perPosition`, the circuit also carries per-position scores (Circuit::positions,
/// positionScores; see attributionScores).
Circuit eap(EdgePatcher& patcher, const capture::Progress& progress = {}, bool perPosition = false);
/// Throws std::invalid_argument unless 1 <= steps <= kMaxIgSteps.
Circuit eapIg(EdgePatcher& patcher, int steps = 5, const capture::Progress& progress = {},
              bool perPosition = false);
/// Exact edge patching, the reference the attribution methods estimate (EAP-IG's "exact"):
/// each edge's score is the increase of the loss (−logit difference, or KL) when that edge
/// alone is removed from the full model (EdgePatcher::singleEdgeRemovals). Reports progress and
/// throws capture::Cancelled when cancelled.
Circuit exactEdgeScores(EdgePatcher& patcher, const capture::Progress& progress = {});
/// ACDC (spec 6.3): receivers in reverse topological order, each incoming edge removed when the
/// loss rises by less than `threshold`. Scores are the loss increases measured when each edge
/// was tried. Throws std::invalid_argument unless threshold is finite and >= 0; reports
/// progress per receiver and throws capture::Cancelled when cancelled. `observer`, when set,
/// sees the pruning as it goes (the window draws it live).
Circuit acdc(EdgePatcher& patcher, double threshold, const capture::Progress& progress = {},
             const AcdcObserver& observer = {});

inline constexpr int kMaxIgSteps = 1000;

}  // namespace attnscope::analysis::circuits
