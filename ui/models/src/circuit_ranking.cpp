#include "attnscope/ui/circuit_ranking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace attnscope::ui {

double CircuitRanking::rankingScore(int64_t edge) const {
    const float s = circuit->scores[static_cast<size_t>(edge)];
    if (std::isnan(s)) return -std::numeric_limits<double>::infinity();
    return absolute ? std::abs(double(s)) : double(s);
}

namespace {

// r.order, r.rank and r.maxAbsScore over `count` entries of r.circuit->scores (in index order
// when the scores are missing: a hand-made edge set read from a file).
void rankEntries(CircuitRanking& r, int64_t count) {
    const std::vector<float>& scores = r.circuit->scores;
    std::vector<float> keys(static_cast<size_t>(count), -std::numeric_limits<float>::infinity());
    if (scores.size() == static_cast<size_t>(count))
        for (int64_t e = 0; e < count; ++e) {
            const float s = scores[static_cast<size_t>(e)];
            if (!std::isnan(s)) {
                keys[static_cast<size_t>(e)] = r.absolute ? std::abs(s) : s;
                r.maxAbsScore = std::max(r.maxAbsScore, double(std::abs(s)));
            }
        }
    r.order.resize(static_cast<size_t>(count));
    std::iota(r.order.begin(), r.order.end(), int64_t{0});
    std::stable_sort(r.order.begin(), r.order.end(), [&keys](int64_t a, int64_t b) {
        return keys[static_cast<size_t>(a)] > keys[static_cast<size_t>(b)];
    });
    r.rank.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        r.rank[static_cast<size_t>(r.order[static_cast<size_t>(i)])] = i;
}

}  // namespace

std::shared_ptr<const CircuitRanking> rankPositionCells(std::shared_ptr<const Circuit> circuit,
                                                        bool absolute) {
    if (!circuit || !circuit->hasPositionScores()) return nullptr;
    // The cells as a circuit of their own, so that rankingScore() reads them.
    auto cells = std::make_shared<Circuit>();
    cells->graph = circuit->graph;
    cells->method = circuit->method;
    cells->metric = circuit->metric;
    cells->positions = circuit->positions;
    cells->scores = circuit->positionScores;
    auto r = std::make_shared<CircuitRanking>();
    r->circuit = cells;
    r->absolute = absolute;
    rankEntries(*r, circuit->graph.edgeCount() * circuit->positions);
    return r;
}

std::shared_ptr<const CircuitRanking> rankCircuit(std::shared_ptr<const Circuit> circuit,
                                                  bool absolute) {
    auto r = std::make_shared<CircuitRanking>();
    r->circuit = circuit;
    r->absolute = absolute;
    const auto& graph = circuit->graph;
    const int64_t edges = graph.edgeCount();
    rankEntries(*r, edges);

    // Node scores: walk the edges receiver by receiver (the senders of a receiver are the
    // node-order prefix), so no per-edge receiver lookup is needed.
    r->nodeScore.assign(graph.nodes().size(), 0.0);
    if (circuit->scores.size() == static_cast<size_t>(edges)) {
        for (int rec = 0; rec < static_cast<int>(graph.receivers().size()); ++rec) {
            const int node = graph.receivers()[static_cast<size_t>(rec)].node;
            const int64_t first = graph.firstEdge(rec);
            for (int s = 0; s < graph.senderCount(rec); ++s) {
                const float v = circuit->scores[static_cast<size_t>(first + s)];
                if (std::isnan(v)) continue;
                r->nodeScore[static_cast<size_t>(s)] += std::abs(v);
                r->nodeScore[static_cast<size_t>(node)] += std::abs(v);
            }
        }
    }
    std::vector<int> nodes(r->nodeScore.size());
    std::iota(nodes.begin(), nodes.end(), 0);
    std::stable_sort(nodes.begin(), nodes.end(), [&r](int a, int b) {
        return r->nodeScore[static_cast<size_t>(a)] > r->nodeScore[static_cast<size_t>(b)];
    });
    r->nodeRank.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i)
        r->nodeRank[static_cast<size_t>(nodes[i])] = static_cast<int>(i);
    return r;
}

int64_t selectedEdgeCount(const CircuitRanking& ranking, CircuitAmount mode, double value) {
    const int64_t all = ranking.edgeCount();
    if (std::isnan(value)) return 0;
    switch (mode) {
        case CircuitAmount::TopEdges:
            return std::clamp<int64_t>(static_cast<int64_t>(std::llround(value)), 0, all);
        case CircuitAmount::Percent:
            return std::clamp<int64_t>(
                static_cast<int64_t>(std::llround(value / 100.0 * double(all))), 0, all);
        case CircuitAmount::Threshold: {
            // The order is by descending ranking score: count the prefix with score >= τ.
            const auto it =
                std::partition_point(ranking.order.begin(), ranking.order.end(),
                                     [&](int64_t e) { return ranking.rankingScore(e) >= value; });
            return static_cast<int64_t>(it - ranking.order.begin());
        }
    }
    return 0;
}

std::vector<uint8_t> topEdgesMask(const CircuitRanking& ranking, int64_t count,
                                  const std::vector<int64_t>& removed) {
    std::vector<uint8_t> kept(static_cast<size_t>(ranking.edgeCount()), 0);
    count = std::clamp<int64_t>(count, 0, ranking.edgeCount());
    for (int64_t i = 0; i < count; ++i)
        kept[static_cast<size_t>(ranking.order[static_cast<size_t>(i)])] = 1;
    for (int64_t e : removed)
        if (e >= 0 && e < ranking.edgeCount()) kept[static_cast<size_t>(e)] = 0;
    return kept;
}

double amountForEdgeCount(const CircuitRanking& ranking, CircuitAmount mode, int64_t count) {
    const int64_t all = ranking.edgeCount();
    count = std::clamp<int64_t>(count, 0, all);
    switch (mode) {
        case CircuitAmount::TopEdges:
            return double(count);
        case CircuitAmount::Percent:
            return all > 0 ? 100.0 * double(count) / double(all) : 0.0;
        case CircuitAmount::Threshold:
            if (count == 0) return all > 0 ? ranking.rankingScore(ranking.order[0]) + 1.0 : 0.0;
            return ranking.rankingScore(ranking.order[static_cast<size_t>(count - 1)]);
    }
    return 0.0;
}

}  // namespace attnscope::ui
