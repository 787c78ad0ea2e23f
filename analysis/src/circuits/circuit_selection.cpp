#include "attnscope/analysis/circuits/circuit_selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace attnscope::analysis::circuits {
namespace {

// The nodes whose output a receiver's input feeds: one head, an MLP, the logits, or for a k or
// v input every query head of its KV group.
std::pair<int, int> receiverNodes(const EdgeGraph& graph, const ReceiverInput& r) {
    if (r.port == Port::K || r.port == Port::V) {
        const int group = graph.heads() / graph.kvHeads();
        const int first = graph.headNode(r.layer, r.index * group);
        return {first, first + group};
    }
    return {r.node, r.node + 1};
}

double area(const std::vector<FaithfulnessPoint>& curve, double (*value)(double)) {
    double sum = 0.0;
    for (size_t i = 1; i < curve.size(); ++i)
        sum += (curve[i].fraction - curve[i - 1].fraction) *
               (value(curve[i].faithfulness) + value(curve[i - 1].faithfulness)) / 2.0;
    return sum;
}

}  // namespace

std::vector<uint8_t> pruneDisconnected(const EdgeGraph& graph, std::vector<uint8_t> kept) {
    if (static_cast<int64_t>(kept.size()) != graph.edgeCount())
        throw std::invalid_argument("pruneDisconnected: the kept-edge list has the wrong size");
    const auto& receivers = graph.receivers();
    const int count = static_cast<int>(receivers.size());
    std::vector<uint8_t> fromInput(graph.nodes().size(), 0), toLogits(graph.nodes().size(), 0);
    fromInput[static_cast<size_t>(graph.inputNode())] = 1;
    // Receivers are in topological order: every sender of r is settled before r is visited.
    for (int r = 0; r < count; ++r) {
        bool reached = false;
        for (int s = 0; s < graph.senderCount(r) && !reached; ++s)
            reached = kept[static_cast<size_t>(graph.firstEdge(r) + s)] && fromInput[s];
        if (!reached) continue;
        const auto [first, last] = receiverNodes(graph, receivers[r]);
        for (int n = first; n < last; ++n)
            fromInput[static_cast<size_t>(n)] = 1;
    }
    toLogits[static_cast<size_t>(graph.logitsNode())] = 1;
    for (int r = count - 1; r >= 0; --r) {
        const auto [first, last] = receiverNodes(graph, receivers[r]);
        bool alive = false;
        for (int n = first; n < last; ++n)
            alive = alive || toLogits[static_cast<size_t>(n)];
        for (int s = 0; s < graph.senderCount(r); ++s) {
            auto& edge = kept[static_cast<size_t>(graph.firstEdge(r) + s)];
            edge = edge && alive && fromInput[static_cast<size_t>(s)];
            if (edge) toLogits[static_cast<size_t>(s)] = 1;
        }
    }
    return kept;
}

std::vector<uint8_t> selectTopEdges(const EdgeGraph& graph, const std::vector<float>& scores,
                                    int64_t count, bool absolute) {
    const int64_t total = graph.edgeCount();
    if (static_cast<int64_t>(scores.size()) != total)
        throw std::invalid_argument("selectTopEdges: " + std::to_string(scores.size()) +
                                    " scores for " + std::to_string(total) + " edges");
    count = std::clamp<int64_t>(count, 0, total);
    auto key = [&](int64_t e) {
        const float s = scores[static_cast<size_t>(e)];
        if (std::isnan(s)) return -INFINITY;
        return absolute ? std::fabs(s) : s;
    };
    std::vector<int64_t> order(static_cast<size_t>(total));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return key(a) > key(b); });
    std::vector<uint8_t> kept(static_cast<size_t>(total), 0);
    for (int64_t i = 0; i < count; ++i)
        kept[static_cast<size_t>(order[static_cast<size_t>(i)])] = 1;
    return pruneDisconnected(graph, std::move(kept));
}

int64_t edgesForFraction(const EdgeGraph& graph, double fraction) {
    if (!(fraction >= 0.0 && fraction <= 1.0))
        throw std::invalid_argument("edge fraction " + std::to_string(fraction) +
                                    " is out of range: give a number between 0 and 1");
    return std::llround(fraction * static_cast<double>(graph.edgeCount()));
}

double circuitPerformanceRatio(const std::vector<FaithfulnessPoint>& curve) {
    return area(curve, [](double f) { return f; });
}

double circuitMisfitDistance(const std::vector<FaithfulnessPoint>& curve) {
    return area(curve, [](double f) { return std::fabs(1.0 - f); });
}

}  // namespace attnscope::analysis::circuits
