// The discovery methods as Circuits: EAP, EAP-IG (edge_attribution.cpp), exact edge patching
// and ACDC (spec 6.3).
#include <cmath>
#include <stdexcept>

#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits {
namespace {

Circuit describe(const EdgePatcher& patcher, std::string method) {
    Circuit c;
    c.graph = patcher.graph();
    c.method = std::move(method);
    c.metric = patcher.options().metric;
    c.ablation = patcher.options().ablation;
    c.modelFingerprint = patcher.model().fingerprint();
    c.parameters["pairs"] = patcher.pairCount();
    return c;
}

// Whether any kept edge leaves one of the nodes that receiver r feeds.
bool feedsKeptEdge(const EdgeGraph& graph, const std::vector<uint8_t>& kept, int r) {
    const ReceiverInput& in = graph.receivers()[static_cast<size_t>(r)];
    int first = in.node, last = in.node + 1;
    if (in.port == Port::K || in.port == Port::V) {
        const int group = graph.heads() / graph.kvHeads();
        first = graph.headNode(in.layer, in.index * group);
        last = first + group;
    }
    const int receivers = static_cast<int>(graph.receivers().size());
    for (int later = r + 1; later < receivers; ++later)
        for (int n = first; n < last && n < graph.senderCount(later); ++n)
            if (kept[static_cast<size_t>(graph.firstEdge(later) + n)]) return true;
    return false;
}

// The attribution scores of `steps` (0: EAP) into `c`, per position too when asked.
void scoreByAttribution(EdgePatcher& patcher, int steps, const capture::Progress& progress,
                        bool perPosition, Circuit& c) {
    c.scores =
        patcher.attributionScores(steps, progress, perPosition ? &c.positionScores : nullptr);
    if (!perPosition) return;
    c.positions = patcher.positionCount();
    c.parameters["per_position"] = true;
}

}  // namespace

Circuit eap(EdgePatcher& patcher, const capture::Progress& progress, bool perPosition) {
    Circuit c = describe(patcher, "eap");
    scoreByAttribution(patcher, 0, progress, perPosition, c);
    return c;
}

Circuit eapIg(EdgePatcher& patcher, int steps, const capture::Progress& progress,
              bool perPosition) {
    if (steps < 1 || steps > kMaxIgSteps)
        throw std::invalid_argument("EAP-IG steps must be between 1 and " +
                                    std::to_string(kMaxIgSteps) + " (got " + std::to_string(steps) +
                                    ")");
    Circuit c = describe(patcher, "eap-ig");
    c.parameters["steps"] = steps;
    scoreByAttribution(patcher, steps, progress, perPosition, c);
    return c;
}

Circuit exactEdgeScores(EdgePatcher& patcher, const capture::Progress& progress) {
    const double sign = patcher.options().metric == "kl" ? 1.0 : -1.0;  // metric → loss
    Circuit c = describe(patcher, "exact");
    const int64_t forwardsBefore = patcher.forwardCount();
    for (double metric : patcher.singleEdgeRemovals(progress))
        c.scores.push_back(static_cast<float>(sign * (metric - patcher.fullModel())));
    c.parameters["forwards"] = patcher.forwardCount() - forwardsBefore;
    progress.report(1.0, "exact patching done");
    return c;
}

Circuit acdc(EdgePatcher& patcher, double threshold, const capture::Progress& progress,
             const AcdcObserver& observer) {
    if (!std::isfinite(threshold) || threshold < 0.0)
        throw std::invalid_argument("ACDC threshold must be a finite number >= 0 (got " +
                                    std::to_string(threshold) + ")");
    const EdgeGraph& graph = patcher.graph();
    const bool kl = patcher.options().metric == "kl";
    auto loss = [&](const std::vector<uint8_t>& kept) {
        const double m = patcher.evaluate(kept);
        return kl ? m : -m;
    };
    Circuit c = describe(patcher, "acdc");
    c.parameters["threshold"] = threshold;
    c.scores.assign(static_cast<size_t>(graph.edgeCount()), NAN);
    std::vector<uint8_t> kept(static_cast<size_t>(graph.edgeCount()), 1);
    const int64_t forwardsBefore = patcher.forwardCount();
    double current = loss(kept);
    const int receivers = static_cast<int>(graph.receivers().size());
    for (int r = receivers - 1; r >= 0; --r) {
        progress.check();
        progress.report(static_cast<double>(receivers - 1 - r) / receivers,
                        "ACDC: " + graph.receiverName(r));
        const int64_t first = graph.firstEdge(r);
        // A receiver whose node reaches nothing kept cannot change the output: its edges go
        // without a forward (ACDC drops such nodes too).
        const bool live = r == graph.logitsReceiver() || feedsKeptEdge(graph, kept, r);
        for (int s = graph.senderCount(r) - 1; s >= 0; --s) {
            const auto e = static_cast<size_t>(first + s);
            kept[e] = 0;
            if (!live) {
                c.scores[e] = 0.0f;
                continue;
            }
            const double next = loss(kept);
            c.scores[e] = static_cast<float>(next - current);
            if (next - current < threshold)
                current = next;
            else
                kept[e] = 1;
        }
        if (observer) observer(kept, c.scores);
    }
    c.inCircuit = kept;
    c.parameters["forwards"] = patcher.forwardCount() - forwardsBefore;
    progress.report(1.0, "ACDC done");
    return c;
}

}  // namespace attnscope::analysis::circuits
