// EAP-IG graph JSON, Graphviz DOT, ROC AUC and overlap of circuits (spec 6.8).
#include "attnscope/analysis/circuits/circuit_files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <sstream>

namespace attnscope::analysis::circuits {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& message) {
    throw CircuitFormatError(source + ": " + message);
}

int positiveInt(const json& object, const char* key, const std::string& where,
                const std::string& source) {
    if (!object.contains(key)) fail(source, where + "." + key + ": missing");
    const json& v = object[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > (1 << 16))
        fail(source, where + "." + key + ": expected a positive integer, got " + v.dump());
    return v.get<int>();
}

std::string text(const json& object, const char* key, const std::string& where,
                 const std::string& source) {
    if (!object.contains(key)) return {};
    if (!object[key].is_string())
        fail(source, where + "." + key + ": expected a string, got " + object[key].dump());
    return object[key].get<std::string>();
}

double number(const json& object, const char* key, const std::string& where,
              const std::string& source) {
    if (!object.contains(key) || object[key].is_null()) return NAN;
    if (!object[key].is_number())
        fail(source, where + "." + key + ": expected a number, got " + object[key].dump());
    return object[key].get<double>();
}

json curveToJson(const std::vector<FaithfulnessPoint>& curve) {
    json out = json::array();
    for (const FaithfulnessPoint& p : curve)
        out.push_back(
            {{"fraction", p.fraction},
             {"edges", p.edges},
             {"faithfulness", std::isnan(p.faithfulness) ? json() : json(p.faithfulness)}});
    return out;
}

std::vector<FaithfulnessPoint> curveFromJson(const json& curve, const std::string& source) {
    if (!curve.is_array()) fail(source, "attnscope.curve: expected an array");
    std::vector<FaithfulnessPoint> out;
    for (size_t i = 0; i < curve.size(); ++i) {
        const std::string where = "attnscope.curve[" + std::to_string(i) + "]";
        if (!curve[i].is_object()) fail(source, where + ": expected an object");
        FaithfulnessPoint p;
        p.fraction = number(curve[i], "fraction", where, source);
        const double edges = number(curve[i], "edges", where, source);
        if (!(edges >= 0) || edges > 1e15)
            fail(source, where + ".edges: expected a count, got " + curve[i]["edges"].dump());
        p.edges = static_cast<int64_t>(edges);
        p.faithfulness = number(curve[i], "faithfulness", where, source);
        out.push_back(p);
    }
    return out;
}

// Shapes the same graph? (Sizes first: a cheap check before edge-by-edge work.)
bool sameShape(const EdgeGraph& a, const EdgeGraph& b) {
    return a.layers() == b.layers() && a.heads() == b.heads() && a.kvHeads() == b.kvHeads();
}

std::string shapeText(const EdgeGraph& g) {
    return std::to_string(g.layers()) + " layers x " + std::to_string(g.heads()) + " heads (" +
           std::to_string(g.kvHeads()) + " KV heads)";
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

std::string circuitToJson(const Circuit& c) {
    const EdgeGraph& g = c.graph;
    const int64_t edgeCount = g.edgeCount();
    const std::vector<uint8_t> nodesIn = nodesInCircuit(g, c.inCircuit);
    json cfg{{"n_layers", g.layers()},
             {"n_heads", g.heads()},
             {"n_kv_heads", g.kvHeads()},
             {"parallel_attn_mlp", false},
             {"d_model", c.parameters.value("d_model", 0)}};
    json nodes = json::object();
    for (size_t n = 0; n < g.nodes().size(); ++n)
        nodes[g.nodeName(static_cast<int>(n))] = {
            {"in_graph", nodesIn[n] != 0 || static_cast<int>(n) == g.logitsNode()}};  // as EAP-IG
    json ours{{"method", c.method},
              {"metric", c.metric},
              {"ablation", c.ablation},
              {"parameters", c.parameters},
              {"fingerprint", c.modelFingerprint},
              {"curve", curveToJson(c.curve)},
              {"cpr", std::isnan(c.cpr) ? json() : json(c.cpr)},
              {"cmd", std::isnan(c.cmd) ? json() : json(c.cmd)}};
    // The edge table is written as text directly: a json object of 1.6 M members (a
    // Llama-3-8B graph) takes 20 s to build and dump, the text below well under a second.
    // Edge names need no escaping (letters, digits, '.', '-', '>', '<').
    std::string out = "{\"cfg\":" + cfg.dump() + ",\"nodes\":" + nodes.dump() + ",\"edges\":{";
    out.reserve(out.size() + static_cast<size_t>(edgeCount) * 48);
    char number[32];
    for (int64_t e = 0; e < edgeCount; ++e) {
        const float s = static_cast<size_t>(e) < c.scores.size() ? c.scores[e] : NAN;
        const bool kept = static_cast<size_t>(e) < c.inCircuit.size() && c.inCircuit[e];
        if (e > 0) out += ',';
        out += '"';
        out += g.edgeName(e);
        out += "\":{\"score\":";
        if (s == 0.0f) {
            out += std::signbit(s) ? "-0.0" : "0.0";  // "-0" would read back as the integer 0
        } else if (std::isfinite(s)) {
            // Shortest text that reads back as the same float.
            const auto end = std::to_chars(number, number + sizeof number, s).ptr;
            out.append(number, end);
        } else {
            out += "null";
        }
        out += kept ? ",\"in_graph\":true}" : ",\"in_graph\":false}";
    }
    out += "},\"attnscope\":" + ours.dump() + "}";
    return out;
}

Circuit circuitFromJson(const std::string& textJson, const std::string& source) {
    const json root = json::parse(textJson, nullptr, false);
    if (root.is_discarded()) fail(source, "not valid JSON");
    if (!root.is_object()) fail(source, "expected a JSON object with 'cfg' and 'edges'");
    if (!root.contains("cfg") || !root["cfg"].is_object())
        fail(source, "cfg: missing or not an object");
    if (!root.contains("edges") || !root["edges"].is_object())
        fail(source, "edges: missing or not an object");
    const json& cfg = root["cfg"];
    const int layers = positiveInt(cfg, "n_layers", "cfg", source);
    const int heads = positiveInt(cfg, "n_heads", "cfg", source);
    const int kvHeads =
        cfg.contains("n_kv_heads") ? positiveInt(cfg, "n_kv_heads", "cfg", source) : heads;
    if (heads % kvHeads != 0)
        fail(source, "cfg.n_kv_heads: " + std::to_string(kvHeads) + " does not divide n_heads " +
                         std::to_string(heads));
    if (cfg.contains("parallel_attn_mlp") && cfg["parallel_attn_mlp"] == true)
        fail(source, "cfg.parallel_attn_mlp: parallel attention and MLP graphs are not supported");
    if (root.contains("nodes") && !root["nodes"].is_object())
        fail(source, "nodes: expected an object");

    Circuit c;
    c.graph = EdgeGraph(layers, heads, kvHeads);
    const int64_t edgeCount = c.graph.edgeCount();
    c.scores.assign(static_cast<size_t>(edgeCount), NAN);
    c.inCircuit.assign(static_cast<size_t>(edgeCount), 0);
    std::vector<uint8_t> seen(static_cast<size_t>(edgeCount), 0);
    for (const auto& [name, info] : root["edges"].items()) {
        const std::string where = "edges[\"" + name + "\"]";
        const int64_t e = c.graph.edgeIndex(std::string_view(name));
        if (e < 0) fail(source, where + ": no such edge in a graph of " + shapeText(c.graph));
        if (!info.is_object()) fail(source, where + ": expected an object");
        c.scores[e] = static_cast<float>(number(info, "score", where, source));
        if (info.contains("in_graph")) {
            if (!info["in_graph"].is_boolean())
                fail(source,
                     where + ".in_graph: expected true or false, got " + info["in_graph"].dump());
            c.inCircuit[e] = info["in_graph"].get<bool>() ? 1 : 0;
        }
        seen[e] = 1;
    }

    c.method = "imported";
    c.parameters = {{"d_model", cfg.value("d_model", 0)}};
    if (root.contains("attnscope")) {
        const json& ours = root["attnscope"];
        if (!ours.is_object()) fail(source, "attnscope: expected an object");
        c.method = text(ours, "method", "attnscope", source);
        c.metric = text(ours, "metric", "attnscope", source);
        c.ablation = text(ours, "ablation", "attnscope", source);
        c.modelFingerprint = text(ours, "fingerprint", "attnscope", source);
        if (ours.contains("parameters")) {
            if (!ours["parameters"].is_object())
                fail(source, "attnscope.parameters: expected an object");
            c.parameters = ours["parameters"];
        }
        if (ours.contains("curve")) c.curve = curveFromJson(ours["curve"], source);
        c.cpr = number(ours, "cpr", "attnscope", source);
        c.cmd = number(ours, "cmd", "attnscope", source);
    }
    return c;
}

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
                         ", the model has " + std::to_string(layers) + " layers x " +
                         std::to_string(heads) + " heads (" + std::to_string(kvHeads) +
                         " KV heads)");
    if (!c.modelFingerprint.empty() && !fingerprint.empty() && c.modelFingerprint != fingerprint)
        fail(source, "the circuit is for another model: fingerprint mismatch (circuit " +
                         c.modelFingerprint + ", model " + fingerprint + ")");
}

}  // namespace attnscope::analysis::circuits
