// Circuit discovery and evaluation on a Session: one EdgePatcher over the prepared pairs (its
// clean and corrupted runs cached), so that each evaluation is one patched forward.
#include "attnscope/app/circuit_session.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/analysis/circuits/circuit_selection.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "circuit_pairs.h"
#include "session_state.h"

namespace attnscope::app {

namespace circuits = analysis::circuits;
using nlohmann::json;

namespace {

// What the predictions panel lists: the circuit's top tokens of the first pair.
constexpr int kPredictionCount = 10;
// The circuit a discovery selects when neither --top-edges nor --edge-fraction is given.
constexpr double kDefaultEdgeFraction = 0.05;

std::vector<Prediction> predictionsOf(const OpenedModel& opened, const at::Tensor& circuitLogits,
                                      const at::Tensor& fullProbs) {
    // Read through raw pointers: one item() per value would dispatch an op each, per slider move.
    const at::Tensor probs = at::softmax(circuitLogits.to(at::kDouble), -1).contiguous();
    const at::Tensor full = fullProbs.contiguous();
    const int64_t k = std::min<int64_t>(kPredictionCount, probs.size(0));
    std::vector<int64_t> ids;
    for (const at::Tensor& top :
         {std::get<1>(at::topk(probs, k)), std::get<1>(at::topk(full, k))}) {
        const at::Tensor topIds = top.contiguous();
        const int64_t* id = topIds.data_ptr<int64_t>();
        for (int64_t i = 0; i < k; ++i)
            if (std::find(ids.begin(), ids.end(), id[i]) == ids.end()) ids.push_back(id[i]);
    }
    const double* p = probs.data_ptr<double>();
    const double* f = full.data_ptr<double>();
    std::vector<Prediction> out;
    for (int64_t id : ids)
        out.push_back({id, tokenDisplay(opened, id), p[id], f[id]});
    std::stable_sort(out.begin(), out.end(),
                     [](const Prediction& a, const Prediction& b) { return a.prob > b.prob; });
    return out;
}

void checkMethod(const CircuitRequest& r) {
    if (r.method != "eap" && r.method != "eap-ig" && r.method != "acdc" && r.method != "exact")
        throw capture::InputError("method '" + r.method + "': expected eap, eap-ig, acdc or exact");
    if (r.method == "eap-ig" && (r.steps < 1 || r.steps > circuits::kMaxIgSteps))
        throw capture::InputError("steps " + std::to_string(r.steps) + ": expected 1.." +
                                  std::to_string(circuits::kMaxIgSteps));
    if (r.method == "acdc" && !(std::isfinite(r.threshold) && r.threshold >= 0))
        throw capture::InputError("threshold " + std::to_string(r.threshold) +
                                  ": expected a finite number >= 0");
    if ((r.method == "acdc" || r.method == "exact") && r.perPosition)
        throw capture::InputError("per-position scores come from EAP and EAP-IG; " + r.method +
                                  " removes whole edges");
    if (r.topEdges < 0) throw capture::InputError("top-edges must be >= 0");
    if (!(r.edgeFraction >= 0 && r.edgeFraction <= 1))
        throw capture::InputError("edge-fraction " + std::to_string(r.edgeFraction) +
                                  ": expected a number in [0, 1]");
}

}  // namespace

struct CircuitSession::Impl {
    Session& session;
    circuits::EdgeGraph graph;
    std::string preparedKey;  // the pairs, metric and ablation the patchers hold
    json pairsDescription;
    std::unique_ptr<circuits::EdgePatcher> patcher;
    // The predictions panel shows the first pair: its logits come from the same forward as the
    // metric (one patched forward per evaluation), next to its full-model distribution.
    at::Tensor firstPairFullProbs;             // [vocab] float64, every edge kept
    std::vector<std::string> firstPairTokens;  // its clean prompt, for per-position columns

    OpenedModel& opened() { return session.m_impl->opened; }
    void requirePrepared() const {
        if (!patcher)
            throw capture::InputError("no prompt pairs are prepared for circuit evaluation");
    }
};

CircuitSession::CircuitSession(Session& session)
    : m_impl(std::make_unique<Impl>(
          Impl{session,
               circuits::EdgeGraph(session.model().layers, session.model().heads,
                                   session.model().kvHeads),
               {},
               {},
               nullptr,
               {},
               {}})) {}

CircuitSession::~CircuitSession() = default;

const circuits::EdgeGraph& CircuitSession::graph() const {
    return m_impl->graph;
}

void CircuitSession::prepare(const CircuitPairs& pairs, const std::string& metric,
                             const std::string& ablation, const capture::Progress& progress) {
    Impl& d = *m_impl;
    json keyJson{{"pairs", describePairs(pairs)}, {"metric", metric}, {"ablation", ablation}};
    std::error_code error;
    if (!pairs.pairsPath.empty())  // a pairs file edited since: read it again
        keyJson["modified"] =
            std::filesystem::last_write_time(pairs.pairsPath, error).time_since_epoch().count();
    const std::string key = keyJson.dump();
    if (d.patcher && key == d.preparedKey) return;
    d.patcher.reset();
    std::vector<circuits::PromptPair> promptPairs = loadPromptPairs(d.opened(), pairs);
    circuits::EdgePatchingOptions options;
    options.metric = metric;
    options.ablation = ablation;
    try {
        auto patcher = std::make_unique<circuits::EdgePatcher>(*d.opened().model, promptPairs,
                                                               options, progress.part(0, 0.9));
        const std::vector<uint8_t> all(static_cast<size_t>(d.graph.edgeCount()), 1);
        d.firstPairFullProbs = at::softmax(patcher->circuitLogits(all)[0].to(at::kDouble), -1);
        d.patcher = std::move(patcher);
    } catch (const std::invalid_argument& invalid) {
        throw capture::InputError(invalid.what());
    }
    d.firstPairTokens.clear();
    for (int64_t id : promptPairs.front().clean)
        d.firstPairTokens.push_back(tokenDisplay(d.opened(), id));
    d.preparedKey = key;
    d.pairsDescription = describePairs(pairs);
    d.pairsDescription["count"] = promptPairs.size();
}

circuits::Circuit CircuitSession::discover(const CircuitRequest& request,
                                           const capture::Progress& progress,
                                           const circuits::AcdcObserver& acdcObserver) {
    checkMethod(request);
    prepare(request.pairs, request.metric, request.ablation, progress.part(0, 0.2));
    Impl& d = *m_impl;
    const capture::Progress scoring = progress.part(0.2, request.withCurve ? 0.7 : 1.0);
    circuits::Circuit c;
    try {
        if (request.method == "eap")
            c = circuits::eap(*d.patcher, scoring, request.perPosition);
        else if (request.method == "eap-ig")
            c = circuits::eapIg(*d.patcher, request.steps, scoring, request.perPosition);
        else if (request.method == "exact")
            c = circuits::exactEdgeScores(*d.patcher, scoring);
        else
            c = circuits::acdc(*d.patcher, request.threshold, scoring, acdcObserver);
    } catch (const std::invalid_argument& error) {
        throw capture::InputError(error.what());
    }
    c.parameters["pairs"] = d.pairsDescription;
    c.parameters["d_model"] = d.session.model().dModel;
    if (c.hasPositionScores()) c.parameters["position_tokens"] = d.firstPairTokens;
    if (request.method == "eap-ig") c.parameters["steps"] = request.steps;
    if (request.method == "acdc") {
        c.parameters["threshold"] = request.threshold;
    } else {
        const int64_t count = request.topEdges > 0 ? request.topEdges
                              : request.edgeFraction > 0
                                  ? circuits::edgesForFraction(d.graph, request.edgeFraction)
                                  : circuits::edgesForFraction(d.graph, kDefaultEdgeFraction);
        c.inCircuit = circuits::selectTopEdges(d.graph, c.scores, count, true);
        if (request.topEdges > 0) c.parameters["top_edges"] = request.topEdges;
        c.parameters["edge_fraction"] =
            request.topEdges > 0       ? static_cast<double>(count) / double(d.graph.edgeCount())
            : request.edgeFraction > 0 ? request.edgeFraction
                                       : kDefaultEdgeFraction;
    }
    if (request.withCurve) {
        c.curve = faithfulnessCurve(c.scores, false, progress.part(0.7, 0.85));
        c.cpr = circuits::circuitPerformanceRatio(c.curve);
        c.cmd = circuits::circuitMisfitDistance(
            faithfulnessCurve(c.scores, true, progress.part(0.85, 1.0)));
    }
    return c;
}

CircuitEvaluation CircuitSession::evaluate(const std::vector<uint8_t>& keptEdges,
                                           const capture::Progress& progress) {
    Impl& d = *m_impl;
    d.requirePrepared();
    const auto size = static_cast<int64_t>(keptEdges.size());
    const int64_t cells = d.graph.edgeCount() * d.patcher->positionCount();
    if (size != d.graph.edgeCount() && (cells == 0 || size != cells))
        throw capture::InputError(
            "a kept-edge set of " + std::to_string(keptEdges.size()) + " entries for a graph of " +
            std::to_string(d.graph.edgeCount()) + " edges" +
            (cells > 0 ? " (or " + std::to_string(cells) + " edge-position entries)" : ""));
    progress.check();
    CircuitEvaluation e;
    e.totalEdges = size;
    e.keptEdges = std::count_if(keptEdges.begin(), keptEdges.end(), [](uint8_t k) { return k; });
    at::Tensor logits;  // [pairs, vocab]
    e.metric = size == d.graph.edgeCount() ? d.patcher->evaluate(keptEdges, &logits)
                                           : d.patcher->evaluateAtPositions(keptEdges, &logits);
    e.fullModel = d.patcher->fullModel();
    e.emptyCircuit = d.patcher->emptyCircuit();
    e.faithfulness = d.patcher->faithfulness(e.metric);
    e.predictions = predictionsOf(d.opened(), logits[0], d.firstPairFullProbs);
    progress.report(1.0);
    return e;
}

int64_t CircuitSession::positionCount() const {
    return m_impl->patcher ? m_impl->patcher->positionCount() : 0;
}

std::vector<circuits::FaithfulnessPoint> CircuitSession::faithfulnessCurve(
    const std::vector<float>& scores, bool absolute, const capture::Progress& progress) {
    Impl& d = *m_impl;
    d.requirePrepared();
    if (static_cast<int64_t>(scores.size()) != d.graph.edgeCount())
        throw capture::InputError(std::to_string(scores.size()) + " scores for a graph of " +
                                  std::to_string(d.graph.edgeCount()) + " edges");
    return d.patcher->faithfulnessCurve(scores, absolute, progress);
}

CircuitScorecard CircuitSession::scorecard(const circuits::Circuit& circuit,
                                           const std::string& source,
                                           const capture::Progress& progress) {
    const ModelSummary& m = m_impl->session.model();
    circuits::checkCircuitFitsModel(circuit, m.layers, m.heads, m.kvHeads, m.fingerprint, source);
    m_impl->requirePrepared();
    CircuitScorecard card;
    card.curve = faithfulnessCurve(circuit.scores, false, progress.part(0, 0.45));
    card.absoluteCurve = faithfulnessCurve(circuit.scores, true, progress.part(0.45, 0.9));
    card.cpr = circuits::circuitPerformanceRatio(card.curve);
    card.cmd = circuits::circuitMisfitDistance(card.absoluteCurve);
    card.circuit = evaluate(circuit.inCircuit, progress.part(0.9, 1.0));
    return card;
}

PatchSweep CircuitSession::patchSweep(const CircuitPairs& pairs, const std::string& site,
                                      const std::string& direction,
                                      const capture::Progress& progress) {
    circuits::PatchingOptions options;
    options.site = circuits::parsePatchSite(site);
    if (options.site == circuits::PatchSite::Embed)
        throw capture::InputError("site embed is not a sweep site");
    options.direction = circuits::parsePatchDirection(direction);
    const auto result = circuits::activationPatchingSweep(
        *m_impl->opened().model, loadPromptPairs(m_impl->opened(), pairs), options, progress);
    return {circuits::patchSiteName(result.site), circuits::patchDirectionName(result.direction),
            result.clean, result.corrupted, result.values};
}

}  // namespace attnscope::app
