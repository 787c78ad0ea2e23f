// Graphviz DOT, ROC AUC and overlap of circuits (spec 6.8).
#include "attnscope/analysis/circuits/circuit_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <sstream>

#include "circuit_text.h"

namespace attnscope::analysis::circuits {
namespace {

using detail::fail;
using detail::shapeText;

// Shapes the same graph? (Sizes first: a cheap check before edge-by-edge work.)
bool sameShape(const EdgeGraph& a, const EdgeGraph& b) {
    return a.layers() == b.layers() && a.heads() == b.heads() && a.kvHeads() == b.kvHeads();
}

std::vector<uint8_t> headsOf(const Circuit& c) {
    const std::vector<uint8_t> nodes = nodesInCircuit(c.graph, c.inCircuit);
    std::vector<uint8_t> heads(nodes.size(), 0);
    for (size_t n = 0; n < nodes.size(); ++n)
        heads[n] = nodes[n] && c.graph.nodes()[n].kind == NodeKind::Head;
    return heads;
}

void countOverlap(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int64_t* inA,
                  int64_t* inB, int64_t* both, int64_t* either, double* jaccard,
                  double* containment) {
    *inA = *inB = *both = *either = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        *inA += a[i] != 0;
        *inB += b[i] != 0;
        *both += a[i] && b[i];
        *either += a[i] || b[i];
    }
    *jaccard = *either > 0 ? static_cast<double>(*both) / static_cast<double>(*either) : 0.0;
    *containment = *inA > 0 ? static_cast<double>(*both) / static_cast<double>(*inA) : 0.0;
}

}  // namespace

std::string circuitToDot(const Circuit& c) {
    const EdgeGraph& g = c.graph;
    const int64_t edgeCount = g.edgeCount();
    float maxAbs = 0.0f;
    for (int64_t e = 0; e < edgeCount; ++e)
        if (static_cast<size_t>(e) < c.inCircuit.size() && c.inCircuit[e] &&
            !std::isnan(c.scores[e]))
            maxAbs = std::max(maxAbs, std::fabs(c.scores[e]));
    const std::vector<uint8_t> nodesIn = nodesInCircuit(g, c.inCircuit);

    std::ostringstream out;
    out << "digraph circuit {\n"
        << "  rankdir=BT;\n"
        << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
        << "  edge [arrowsize=0.6];\n";
    // One rank per layer, input at the bottom and logits at the top.
    const auto nodeLine = [&](int n, const char* fill) {
        out << "    \"" << g.nodeName(n) << "\" [fillcolor=\"" << fill << "\"];\n";
    };
    out << "  { rank=min;\n";
    nodeLine(g.inputNode(), "#e0e0e0");
    out << "  }\n";
    for (int l = 0; l < g.layers(); ++l) {
        out << "  { rank=same;\n";
        for (int h = 0; h < g.heads(); ++h)
            if (nodesIn[g.headNode(l, h)]) nodeLine(g.headNode(l, h), "#fdd49e");
        if (nodesIn[g.mlpNode(l)]) nodeLine(g.mlpNode(l), "#c6dbef");
        out << "  }\n";
    }
    out << "  { rank=max;\n";
    nodeLine(g.logitsNode(), "#e0e0e0");
    out << "  }\n";
    for (int64_t e = 0; e < edgeCount; ++e) {
        if (static_cast<size_t>(e) >= c.inCircuit.size() || !c.inCircuit[e]) continue;
        const ReceiverInput& r = g.receivers()[g.edgeReceiver(e)];
        const float s = c.scores[e];
        const double width =
            maxAbs > 0 && !std::isnan(s) ? 0.5 + 4.5 * std::sqrt(std::fabs(s) / maxAbs) : 1.0;
        // Blue for positive and red for negative scores: the ends of ColorBrewer's RdBu,
        // a colour-blind-safe diverging scale.
        const char* colour = !std::isnan(s) && s < 0 ? "#b2182b" : "#2166ac";
        char widthText[32];
        std::snprintf(widthText, sizeof widthText, "%.2f", width);
        out << "  \"" << g.nodeName(g.edgeSender(e)) << "\" -> \"" << g.nodeName(r.node)
            << "\" [color=\"" << colour << "\", penwidth=" << widthText;
        if (r.port != Port::Residual)
            out << ", label=\""
                << (r.port == Port::Q   ? "q"
                    : r.port == Port::K ? "k"
                                        : "v")
                << "\"";
        out << ", tooltip=\"" << g.edgeName(e) << " " << (std::isnan(s) ? 0.0f : s) << "\"];\n";
    }
    out << "}\n";
    return out.str();
}

double rocAuc(const std::vector<float>& scores, const std::vector<uint8_t>& reference,
              bool absolute) {
    if (scores.size() != reference.size())
        throw std::invalid_argument("ROC AUC: " + std::to_string(scores.size()) + " scores for " +
                                    std::to_string(reference.size()) + " reference entries");
    const size_t n = scores.size();
    std::vector<double> key(n);
    for (size_t i = 0; i < n; ++i)
        key[i] = std::isnan(scores[i]) ? -std::numeric_limits<double>::infinity()
                 : absolute            ? std::fabs(static_cast<double>(scores[i]))
                                       : static_cast<double>(scores[i]);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });
    // Mann-Whitney: the positives' mean rank among all, ties sharing their average rank.
    double positiveRankSum = 0.0;
    double positives = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && key[order[j]] == key[order[i]])
            ++j;
        const double averageRank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
        for (size_t k = i; k < j; ++k)
            if (reference[order[k]]) {
                positiveRankSum += averageRank;
                positives += 1.0;
            }
        i = j;
    }
    const double negatives = static_cast<double>(n) - positives;
    if (positives == 0.0 || negatives == 0.0)
        throw std::invalid_argument(
            "ROC AUC: the reference circuit needs at least one edge in it and one outside it");
    return (positiveRankSum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

std::vector<float> nodeScores(const EdgeGraph& graph, const std::vector<float>& edgeScores) {
    std::vector<float> out(graph.nodes().size(), NAN);
    const int64_t edgeCount = std::min<int64_t>(graph.edgeCount(), edgeScores.size());
    for (int64_t e = 0; e < edgeCount; ++e) {
        const float s = edgeScores[e];
        if (std::isnan(s)) continue;
        for (int n : {graph.edgeSender(e), graph.receivers()[graph.edgeReceiver(e)].node})
            if (std::isnan(out[n]) || std::fabs(s) > out[n]) out[n] = std::fabs(s);
    }
    out[graph.inputNode()] = NAN;
    out[graph.logitsNode()] = NAN;
    return out;
}

std::vector<uint8_t> nodesInCircuit(const EdgeGraph& graph, const std::vector<uint8_t>& kept) {
    std::vector<uint8_t> out(graph.nodes().size(), 0);
    const int64_t edgeCount = std::min<int64_t>(graph.edgeCount(), kept.size());
    for (int64_t e = 0; e < edgeCount; ++e) {
        if (!kept[e]) continue;
        out[graph.edgeSender(e)] = 1;
        out[graph.receivers()[graph.edgeReceiver(e)].node] = 1;
    }
    return out;
}

double nodeRocAuc(const EdgeGraph& graph, const std::vector<float>& scores,
                  const std::vector<uint8_t>& referenceEdges) {
    if (static_cast<int64_t>(scores.size()) != graph.edgeCount() ||
        static_cast<int64_t>(referenceEdges.size()) != graph.edgeCount())
        throw std::invalid_argument("node ROC AUC: scores and reference need one entry per edge");
    const std::vector<float> perNode = nodeScores(graph, scores);
    const std::vector<uint8_t> referenceNodes = nodesInCircuit(graph, referenceEdges);
    std::vector<float> s;
    std::vector<uint8_t> r;
    for (size_t n = 0; n < graph.nodes().size(); ++n) {
        const NodeKind kind = graph.nodes()[n].kind;
        if (kind != NodeKind::Head && kind != NodeKind::Mlp) continue;
        s.push_back(perNode[n]);
        r.push_back(referenceNodes[n]);
    }
    return rocAuc(s, r, true);
}

CircuitOverlap overlap(const Circuit& a, const Circuit& b) {
    if (!sameShape(a.graph, b.graph))
        throw CircuitFormatError("circuit overlap: the circuits are over different graphs (" +
                                 shapeText(a.graph) + " and " + shapeText(b.graph) + ")");
    const auto edgeCount = static_cast<size_t>(a.graph.edgeCount());
    if (a.inCircuit.size() != edgeCount || b.inCircuit.size() != edgeCount)
        throw CircuitFormatError("circuit overlap: a circuit has no kept flag per edge");
    CircuitOverlap o;
    countOverlap(headsOf(a), headsOf(b), &o.headsA, &o.headsB, &o.headsBoth, &o.headsEither,
                 &o.headJaccard, &o.headContainment);
    countOverlap(a.inCircuit, b.inCircuit, &o.edgesA, &o.edgesB, &o.edgesBoth, &o.edgesEither,
                 &o.edgeJaccard, &o.edgeContainment);
    return o;
}

void checkCircuitFitsModel(const Circuit& c, int layers, int heads, int kvHeads,
                           const std::string& fingerprint, const std::string& source) {
    if (c.graph.layers() != layers || c.graph.heads() != heads || c.graph.kvHeads() != kvHeads)
        fail(source, "the circuit is for another model: its graph has " + shapeText(c.graph) +
                         ", the model has " + shapeText(layers, heads, kvHeads));
    if (!c.modelFingerprint.empty() && !fingerprint.empty() && c.modelFingerprint != fingerprint)
        fail(source, "the circuit is for another model: fingerprint mismatch (circuit " +
                         c.modelFingerprint + ", model " + fingerprint + ")");
}

}  // namespace attnscope::analysis::circuits
