#pragma once
// Circuit discovery and evaluation on an opened Session (issue 13, spec 6.6-6.8), with plain
// values in and out (no Qt, no LibTorch in this header) for the CLI and the GUI. The clean and
// corrupted activations of the prompt pairs are cached once per pair set, metric and
// ablation, so that evaluating a kept-edge set costs one patched forward: the GUI's slider and
// edge toggles call evaluate() many times, and `circuit-eval` calls the same function, so the
// window's readouts equal the CLI's for the same edge set.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/app/session.h"
#include "attnscope/capture/progress.h"

namespace attnscope::app {

/// The prompt pairs of a circuit job: a JSONL file (`{"clean","corrupted","answer","wrong"}`
/// or the `_ids` forms), or one typed pair (texts, or "1,2,3" ids with promptsAreIds).
struct CircuitPairs {
    std::string pairsPath;  ///< used when not empty
    std::string clean, corrupted;
    std::string answer, wrong;  ///< tokens, or ids with promptsAreIds
    bool promptsAreIds = false;
};

/// What to discover and how to measure it (the `circuit` command's flags).
struct CircuitRequest {
    CircuitPairs pairs;
    std::string method = "eap-ig";      ///< "eap", "eap-ig", "acdc" or "exact"
    int steps = 5;                      ///< EAP-IG interpolation steps m (>= 1)
    double threshold = 0.01;            ///< ACDC's tau (> 0)
    std::string metric = "logit-diff";  ///< "logit-diff" or "kl"
    std::string ablation = "resample";  ///< "resample", "zero" or "mean"
    /// Selection for EAP / EAP-IG / exact: the top `topEdges` edges by score when > 0, else the top
    /// `edgeFraction` of all edges when > 0, else the default of 5 % (ACDC selects itself).
    int64_t topEdges = 0;
    double edgeFraction = 0.0;
    /// Whether to compute the faithfulness curve, CPR and CMD after discovery.
    bool withCurve = true;
    /// EAP / EAP-IG: also score every edge at every token position (Circuit::positionScores,
    /// with the first pair's clean tokens in parameters["position_tokens"]). The pairs must
    /// share one token length (capture::InputError otherwise); ACDC and exact refuse it.
    bool perPosition = false;
};

/// The metric of one kept-edge set on the cached pairs, and what the predictions panel shows.
struct CircuitEvaluation {
    int64_t keptEdges = 0;
    int64_t totalEdges = 0;
    double metric = 0.0;        ///< m(C), mean over pairs
    double fullModel = 0.0;     ///< m(M)
    double emptyCircuit = 0.0;  ///< m(∅)
    double faithfulness = 0.0;  ///< (m(C) - m(∅)) / (m(M) - m(∅))
    /// The first pair's clean prompt under the circuit: top tokens (prob) next to the full
    /// model (baselineProb).
    std::vector<Prediction> predictions;
};

/// A circuit and its evaluation summary, as `circuit-eval` reports it.
struct CircuitScorecard {
    std::vector<analysis::circuits::FaithfulnessPoint> curve;          ///< signed scores
    std::vector<analysis::circuits::FaithfulnessPoint> absoluteCurve;  ///< |scores|
    double cpr = 0.0;                                                  ///< area under `curve`
    double cmd = 0.0;           ///< area under |1 - faithfulness| of `absoluteCurve`
    CircuitEvaluation circuit;  ///< the circuit's own kept edges
};

/// An activation patching sweep as plain values (the `patch` command's table): values[l][c] is
/// the logit difference (mean over pairs) of the run in which only component c of layer l (a
/// head, a KV head for k and v, or the whole layer for per-layer sites) is patched.
struct PatchSweep {
    std::string site;       ///< "z", "q", "k", "v", "pattern", "resid_pre", "attn_out", "mlp_out"
    std::string direction;  ///< "noising" or "denoising"
    double clean = 0.0;     ///< the unpatched clean run's logit difference
    double corrupted = 0.0;
    std::vector<std::vector<double>> values;
};

/// Circuit work on one Session. Not thread-safe: use it from the thread that uses the Session
/// (the GUI's model worker). The Session must outlive it.
class CircuitSession {
public:
    explicit CircuitSession(Session& session);
    ~CircuitSession();
    CircuitSession(const CircuitSession&) = delete;
    CircuitSession& operator=(const CircuitSession&) = delete;

    /// The edge graph of the session's model.
    const analysis::circuits::EdgeGraph& graph() const;

    /// Reads the pairs and caches their clean and corrupted runs for `metric` and `ablation`;
    /// does nothing when the same pairs, metric and ablation are cached already. Throws
    /// capture::InputError for bad pairs (naming the file and line), capture::Cancelled.
    void prepare(const CircuitPairs& pairs, const std::string& metric, const std::string& ablation,
                 const capture::Progress& progress = {});

    /// Discovers a circuit (prepare() included): scores every edge, selects the circuit,
    /// and (withCurve) adds the faithfulness curve, CPR and CMD. The result carries the
    /// model's fingerprint and the request in `parameters`. `acdcObserver` sees ACDC's
    /// pruning after each receiver (on this thread; ignored by the other methods).
    analysis::circuits::Circuit discover(const CircuitRequest& request,
                                         const capture::Progress& progress = {},
                                         const analysis::circuits::AcdcObserver& acdcObserver = {});

    /// The metric and faithfulness of the circuit that keeps `keptEdges` (one byte per edge of
    /// graph()) on the prepared pairs: one patched forward over the pairs on their cached
    /// clean and corrupted activations, whose first pair's logits give the predictions.
    /// A mask of one byte per (edge, position), [edges, positionCount()] row-major, removes
    /// edges at single positions (per-position circuits); keptEdges and totalEdges then count
    /// (edge, position) entries. Throws capture::InputError when nothing is prepared or the
    /// size is neither.
    CircuitEvaluation evaluate(const std::vector<uint8_t>& keptEdges,
                               const capture::Progress& progress = {});
    /// The prepared pairs' common token length; 0 when their lengths differ or none are
    /// prepared.
    int64_t positionCount() const;

    /// Faithfulness at the MIB edge-count grid of the circuits made of the top edges by `scores`
    /// (|score| when `absolute`), on the prepared pairs.
    std::vector<analysis::circuits::FaithfulnessPoint> faithfulnessCurve(
        const std::vector<float>& scores, bool absolute, const capture::Progress& progress = {});

    /// What `circuit-eval` prints for a circuit (checked against the model first): the curve
    /// from its scores (signed for CPR, absolute for CMD) and its own kept edges' evaluation.
    CircuitScorecard scorecard(const analysis::circuits::Circuit& circuit,
                               const std::string& source, const capture::Progress& progress = {});

    /// Activation patching of `pairs` at every layer and component of `site`. Throws
    /// capture::InputError for bad pairs, an unknown site or direction; capture::Cancelled.
    PatchSweep patchSweep(const CircuitPairs& pairs, const std::string& site,
                          const std::string& direction, const capture::Progress& progress = {});

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace attnscope::app
