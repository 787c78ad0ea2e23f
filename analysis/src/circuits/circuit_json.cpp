// EAP-IG graph JSON (hannamw/EAP-IG src/eap/graph.py, Graph.to_json / from_json): written as
// text, read with a streaming parser so that million-edge graphs load in about a second.
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "circuit_text.h"

namespace attnscope::analysis::circuits {
namespace {

using detail::fail;
using detail::shapeText;
using nlohmann::json;

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

// Appends a score as the shortest text that reads back as the same float (null when not
// finite).
void appendScore(std::string& out, float s) {
    if (s == 0.0f) {
        out += std::signbit(s) ? "-0.0" : "0.0";  // "-0" would read back as the integer 0
    } else if (std::isfinite(s)) {
        char number[32];
        const auto end = std::to_chars(number, number + sizeof number, s).ptr;
        out.append(number, end);
    } else {
        out += "null";
    }
}

// attnscope.position_scores: [edges × positions] in edge order, read back into `c`.
void positionScoresFromJson(const json& ours, const std::string& source, Circuit& c) {
    if (!ours.contains("positions") && !ours.contains("position_scores")) return;
    const json& positions = ours.value("positions", json());
    if (!positions.is_number_integer() || positions.get<int64_t>() < 1 ||
        positions.get<int64_t>() > (int64_t{1} << 17))
        fail(source,
             "attnscope.positions: expected a positive token count, got " + positions.dump());
    c.positions = positions.get<int64_t>();
    const size_t expected = static_cast<size_t>(c.graph.edgeCount() * c.positions);
    const json& values = ours.value("position_scores", json());
    if (!values.is_array() || values.size() != expected)
        fail(source, "attnscope.position_scores: expected an array of " + std::to_string(expected) +
                         " numbers (" + std::to_string(c.graph.edgeCount()) + " edges x " +
                         std::to_string(c.positions) + " positions)");
    c.positionScores.resize(expected);
    for (size_t i = 0; i < expected; ++i) {
        if (!values[i].is_number() && !values[i].is_null())
            fail(source, "attnscope.position_scores[" + std::to_string(i) +
                             "]: expected a number, got " + values[i].dump());
        c.positionScores[i] = values[i].is_null() ? NAN : values[i].get<float>();
    }
}

// One edge of the `edges` object as the streaming reader found it.
struct EdgeEntry {
    std::string name;
    double score = NAN;
    int inGraph = -1;   // -1 absent, 0 false, 1 true
    std::string error;  // the first problem with this entry, without the source
};

std::string eventText(const char* kind) {
    return std::string("got ") + kind;
}

// A SAX reader of EAP-IG graph JSON: every part of the document becomes a json value except
// the members of the root's `edges` object, which become EdgeEntry rows. A DOM of a 1.6 M-edge
// graph (1.6 M small objects in ordered maps) takes seconds to build; the rows do not.
class GraphJsonReader : public nlohmann::json_sax<json> {
public:
    json root;
    std::vector<EdgeEntry> edges;
    bool sawEdgesObject = false;
    std::string syntaxError;

    bool null() override { return value(json(), "null"); }
    bool boolean(bool v) override { return value(json(v), v ? "true" : "false"); }
    bool number_integer(number_integer_t v) override { return value(json(v), nullptr); }
    bool number_unsigned(number_unsigned_t v) override { return value(json(v), nullptr); }
    bool number_float(number_float_t v, const string_t&) override {
        return value(json(v), nullptr);
    }
    bool string(string_t& v) override { return value(json(v), "a string"); }
    bool binary(binary_t&) override { return value(json(), "binary data"); }

    bool start_object(std::size_t) override {
        if (m_edgesDepth >= 0) return startInEdges("an object", true);
        if (m_stack.size() == 1 && m_stack.back()->is_object() && m_key == "edges") {
            sawEdgesObject = true;
            (*m_stack.back())["edges"] = json::object();  // present; members become rows
            m_edgesDepth = 1;
            return true;
        }
        return startContainer(json::object());
    }
    bool key(string_t& k) override {
        if (m_edgesDepth == 1) {
            edges.push_back({k, NAN, -1, {}});
        } else if (m_edgesDepth == 2 && m_skipDepth == 0) {
            m_field = k;
        } else if (m_edgesDepth < 0) {
            m_key = k;
        }
        return true;
    }
    bool end_object() override {
        if (m_edgesDepth >= 0) return endInEdges();
        m_stack.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        if (m_edgesDepth >= 0) return startInEdges("an array", false);
        return startContainer(json::array());
    }
    bool end_array() override {
        if (m_edgesDepth >= 0) return endInEdges();
        m_stack.pop_back();
        return true;
    }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception&) override {
        syntaxError = "not valid JSON (at byte " + std::to_string(position) + ")";
        return false;
    }

private:
    // Adds a value to the document being built, or to the current edge entry.
    bool value(json v, const char* described) {
        if (m_edgesDepth >= 0) {
            if (m_skipDepth > 0) return true;
            if (m_edgesDepth == 1) {  // an edge whose value is not an object
                edges.back().error = "expected an object";
                return true;
            }
            EdgeEntry& e = edges.back();
            if (m_field == "score") {
                if (v.is_number())
                    e.score = v.get<double>();
                else if (!v.is_null() && e.error.empty())
                    e.error = ".score: expected a number, " + eventText(described);
            } else if (m_field == "in_graph") {
                if (v.is_boolean())
                    e.inGraph = v.get<bool>() ? 1 : 0;
                else if (e.error.empty())
                    e.error = ".in_graph: expected true or false, " +
                              eventText(described ? described : "a number");
            }
            return true;
        }
        if (m_stack.empty()) {
            root = std::move(v);
        } else if (m_stack.back()->is_array()) {
            m_stack.back()->push_back(std::move(v));
        } else {
            (*m_stack.back())[m_key] = std::move(v);
        }
        return true;
    }
    bool startContainer(json empty) {
        if (m_stack.empty()) {
            root = std::move(empty);
            m_stack.push_back(&root);
        } else if (m_stack.back()->is_array()) {
            m_stack.back()->push_back(std::move(empty));
            m_stack.push_back(&m_stack.back()->back());
        } else {
            json& slot = (*m_stack.back())[m_key];
            slot = std::move(empty);
            m_stack.push_back(&slot);
        }
        return true;
    }
    // A container inside `edges`: an edge's object (depth 1 -> 2); anything deeper is skipped
    // (and is an error for score and in_graph).
    bool startInEdges(const char* described, bool object) {
        if (m_skipDepth > 0 || m_edgesDepth >= 2) {
            if (m_skipDepth == 0 && m_edgesDepth == 2) {
                EdgeEntry& e = edges.back();
                if (e.error.empty() && m_field == "score")
                    e.error = ".score: expected a number, " + eventText(described);
                if (e.error.empty() && m_field == "in_graph")
                    e.error = ".in_graph: expected true or false, " + eventText(described);
            }
            ++m_skipDepth;
            return true;
        }
        if (m_edgesDepth == 1) {
            if (!object) {
                edges.back().error = "expected an object";
                ++m_skipDepth;
                return true;
            }
            m_field.clear();
        }
        ++m_edgesDepth;
        return true;
    }
    bool endInEdges() {
        if (m_skipDepth > 0) {
            --m_skipDepth;
            return true;
        }
        if (--m_edgesDepth == 0) m_edgesDepth = -1;  // the edges object closed
        return true;
    }

    std::vector<json*> m_stack;
    std::string m_key;
    int m_edgesDepth = -1;  // -1 outside `edges`, 1 in its object, 2 in an edge's object
    int m_skipDepth = 0;
    std::string m_field;
};

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
    for (int64_t e = 0; e < edgeCount; ++e) {
        const float s = static_cast<size_t>(e) < c.scores.size() ? c.scores[e] : NAN;
        const bool kept = static_cast<size_t>(e) < c.inCircuit.size() && c.inCircuit[e];
        if (e > 0) out += ',';
        out += '"';
        out += g.edgeName(e);
        out += "\":{\"score\":";
        appendScore(out, s);
        out += kept ? ",\"in_graph\":true}" : ",\"in_graph\":false}";
    }
    out += "},\"attnscope\":" + ours.dump();
    if (c.hasPositionScores()) {
        // Spliced into the attnscope object as text, as the edges are (one flat array in edge
        // order, [edges, positions] row-major).
        out.pop_back();  // the object's closing brace
        out += ",\"positions\":" + std::to_string(c.positions) + ",\"position_scores\":[";
        for (size_t i = 0; i < c.positionScores.size(); ++i) {
            if (i > 0) out += ',';
            appendScore(out, c.positionScores[i]);
        }
        out += "]}";
    }
    out += "}";
    return out;
}

Circuit circuitFromJson(const std::string& textJson, const std::string& source) {
    GraphJsonReader reader;
    if (!json::sax_parse(textJson, &reader) || !reader.syntaxError.empty())
        fail(source, reader.syntaxError.empty() ? "not valid JSON" : reader.syntaxError);
    const json& root = reader.root;
    if (!root.is_object()) fail(source, "expected a JSON object with 'cfg' and 'edges'");
    if (!root.contains("cfg") || !root["cfg"].is_object())
        fail(source, "cfg: missing or not an object");
    if (!reader.sawEdgesObject) fail(source, "edges: missing or not an object");
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
    for (const EdgeEntry& entry : reader.edges) {
        const std::string where = "edges[\"" + entry.name + "\"]";
        const int64_t e = c.graph.edgeIndex(std::string_view(entry.name));
        if (e < 0) fail(source, where + ": no such edge in a graph of " + shapeText(c.graph));
        if (!entry.error.empty())
            fail(source, where + (entry.error[0] == '.' ? "" : ": ") + entry.error);
        c.scores[e] = static_cast<float>(entry.score);
        c.inCircuit[e] = entry.inGraph == 1 ? 1 : 0;
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
        positionScoresFromJson(ours, source, c);
    }
    return c;
}

}  // namespace attnscope::analysis::circuits
