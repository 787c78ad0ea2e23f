// EAP-IG graph JSON and Graphviz DOT: round trips, EAP-IG's own files, and errors that name
// the file and the key.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "circuit_test_support.h"

namespace attnscope::analysis::circuits::test {
namespace {

using nlohmann::json;

void expectSameCircuit(const Circuit& a, const Circuit& b) {
    EXPECT_EQ(a.graph.layers(), b.graph.layers());
    EXPECT_EQ(a.graph.heads(), b.graph.heads());
    EXPECT_EQ(a.graph.kvHeads(), b.graph.kvHeads());
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.metric, b.metric);
    EXPECT_EQ(a.ablation, b.ablation);
    EXPECT_EQ(a.parameters, b.parameters);
    EXPECT_EQ(a.modelFingerprint, b.modelFingerprint);
    ASSERT_EQ(a.scores.size(), b.scores.size());
    for (size_t e = 0; e < a.scores.size(); ++e) {
        if (std::isnan(a.scores[e]))
            EXPECT_TRUE(std::isnan(b.scores[e])) << "edge " << e;
        else
            EXPECT_EQ(a.scores[e], b.scores[e]) << "edge " << e;
    }
    EXPECT_EQ(a.inCircuit, b.inCircuit);
    ASSERT_EQ(a.curve.size(), b.curve.size());
    for (size_t i = 0; i < a.curve.size(); ++i) {
        EXPECT_EQ(a.curve[i].fraction, b.curve[i].fraction);
        EXPECT_EQ(a.curve[i].edges, b.curve[i].edges);
        EXPECT_EQ(a.curve[i].faithfulness, b.curve[i].faithfulness);
    }
    EXPECT_EQ(a.cpr, b.cpr);
    EXPECT_EQ(a.cmd, b.cmd);
}

TEST(CircuitJson, RoundTripKeepsEverything) {
    for (const auto& [layers, heads, kv] : {std::tuple{3, 4, 4}, std::tuple{2, 8, 2}}) {
        const Circuit c = randomCircuit(layers, heads, kv, 7);
        expectSameCircuit(c, circuitFromJson(circuitToJson(c), "round.json"));
    }
}

// What EAP-IG's Graph.to_json writes for a one-layer, two-head model (parallel_attn_mlp off),
// written out by hand from graph.py: every edge name, its score and in_graph.
const char* kEapIgJson = R"({"cfg": {"n_layers": 1, "n_heads": 2, "parallel_attn_mlp": false,
  "d_model": 8},
 "nodes": {"input": {"in_graph": true}, "a0.h0": {"in_graph": true}, "a0.h1": {"in_graph": false},
           "m0": {"in_graph": true}, "logits": {"in_graph": true}},
 "edges": {
  "input->a0.h0<q>": {"score": 0.5, "in_graph": true},
  "input->a0.h0<k>": {"score": -0.25, "in_graph": false},
  "input->a0.h0<v>": {"score": 1.5, "in_graph": true},
  "input->a0.h1<q>": {"score": 0.0, "in_graph": false},
  "input->a0.h1<k>": {"score": 0.125, "in_graph": false},
  "input->a0.h1<v>": {"score": -2.0, "in_graph": false},
  "input->m0": {"score": 3.0, "in_graph": true},
  "a0.h0->m0": {"score": 0.75, "in_graph": true},
  "a0.h1->m0": {"score": -0.5, "in_graph": false},
  "input->logits": {"score": 1.0, "in_graph": false},
  "a0.h0->logits": {"score": 2.5, "in_graph": true},
  "a0.h1->logits": {"score": 0.0625, "in_graph": false},
  "m0->logits": {"score": -1.25, "in_graph": true}}})";

TEST(CircuitJson, ReadsEapIgGraphFiles) {
    const Circuit c = circuitFromJson(kEapIgJson, "eap-ig.json");
    const json expected = json::parse(kEapIgJson)["edges"];
    ASSERT_EQ(c.graph.edgeCount(), static_cast<int64_t>(expected.size()));
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
        const std::string name = c.graph.edgeName(e);
        ASSERT_TRUE(expected.contains(name)) << name;
        EXPECT_EQ(c.scores[e], expected[name]["score"].get<float>()) << name;
        EXPECT_EQ(c.inCircuit[e] != 0, expected[name]["in_graph"].get<bool>()) << name;
    }
    EXPECT_EQ(c.parameters.value("d_model", 0), 8);
    EXPECT_EQ(c.method, "imported");
}

TEST(CircuitJson, WritesEapIgNamesAndKeys) {
    Circuit c = circuitFromJson(kEapIgJson, "eap-ig.json");
    const json ours = json::parse(circuitToJson(c));
    const json theirs = json::parse(kEapIgJson);
    // The keys EAP-IG's from_json reads: cfg with its fields, a node table, and every edge
    // with the same name, score and in_graph.
    for (const char* key : {"n_layers", "n_heads", "parallel_attn_mlp", "d_model"})
        EXPECT_EQ(ours["cfg"][key], theirs["cfg"][key]) << key;
    EXPECT_EQ(ours["edges"], theirs["edges"]);
    EXPECT_EQ(ours["nodes"], theirs["nodes"]);
}

TEST(CircuitJson, GroupedGraphsNameKvReceiversByKvHead) {
    const Circuit c = randomCircuit(2, 4, 2, 3);
    const json j = json::parse(circuitToJson(c));
    EXPECT_TRUE(j["edges"].contains("a0.h3->a1.kv1<k>"));
    EXPECT_TRUE(j["edges"].contains("input->a1.kv0<v>"));
    EXPECT_FALSE(j["edges"].contains("input->a1.h1<k>"));
    EXPECT_EQ(j["cfg"]["n_kv_heads"], 2);
    EXPECT_EQ(static_cast<int64_t>(j["edges"].size()), c.graph.edgeCount());
}

// EAP-IG's neuron-level files carry more per edge and per node; what we do not use is skipped.
TEST(CircuitJson, SkipsMembersItDoesNotUse) {
    const Circuit c = circuitFromJson(
        R"({"nodes": {"m0": {"in_graph": true, "neurons": [true, false]}},
            "edges": {"a0.h1->m0": {"score": -1.5, "in_graph": true, "extra": {"a": [1, {"b": 2}]}}},
            "cfg": {"n_layers": 1, "n_heads": 2, "d_model": 2}, "other": [[], {}]})",
        "f");
    const int64_t e = c.graph.edgeIndex(std::string_view("a0.h1->m0"));
    EXPECT_EQ(c.scores[e], -1.5f);
    EXPECT_EQ(c.inCircuit[e], 1);
    EXPECT_EQ(c.parameters.value("d_model", 0), 2);
}

TEST(CircuitJson, MissingEdgesAreUnscoredAndNotKept) {
    const Circuit c = circuitFromJson(
        R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"a0.h1->m0": {"score": 2}}})", "f");
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
        if (c.graph.edgeName(e) == "a0.h1->m0")
            EXPECT_EQ(c.scores[e], 2.0f);
        else
            EXPECT_TRUE(std::isnan(c.scores[e]));
        EXPECT_EQ(c.inCircuit[e], 0);
    }
}

void expectJsonError(const std::string& text, const std::vector<std::string>& parts) {
    try {
        circuitFromJson(text, "/data/bad circuit.json");
        FAIL() << "accepted: " << text;
    } catch (const CircuitFormatError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("/data/bad circuit.json: "), std::string::npos) << message;
        for (const std::string& part : parts)
            EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
    }
}

TEST(CircuitJson, BadFilesNameTheKey) {
    expectJsonError("{\"cfg\": ", {"not valid JSON"});
    expectJsonError("[1, 2]", {"cfg"});
    expectJsonError(R"({"edges": {}})", {"cfg"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}})", {"edges"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": "2"}, "edges": {}})", {"cfg.n_heads"});
    expectJsonError(R"({"cfg": {"n_layers": 0, "n_heads": 2}, "edges": {}})", {"cfg.n_layers"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 4, "n_kv_heads": 3}, "edges": {}})",
                    {"cfg.n_kv_heads"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2, "parallel_attn_mlp": true},
                        "edges": {}})",
                    {"parallel_attn_mlp"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"a0.h5->m0": {}}})",
                    {"edges[\"a0.h5->m0\"]", "no such edge"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"m0->a0.h0<q>": {}}})",
                    {"m0->a0.h0<q>"});
    expectJsonError(
        R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"input->m0": {"score": "high"}}})",
        {"edges[\"input->m0\"].score", "expected a number"});
    expectJsonError(
        R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"input->m0": {"in_graph": 1}}})",
        {"edges[\"input->m0\"].in_graph"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"input->m0": 3}})",
                    {"edges[\"input->m0\"]", "expected an object"});
    expectJsonError(
        R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {"input->m0": {"score": [1]}}})",
        {"edges[\"input->m0\"].score", "expected a number, got an array"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": [1]})", {"edges"});
    expectJsonError(R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {}} trailing)",
                    {"not valid JSON"});
    expectJsonError(
        R"({"cfg": {"n_layers": 1, "n_heads": 2}, "edges": {}, "attnscope": {"curve": [{"edges": -4}]}})",
        {"attnscope.curve[0].edges"});
}

// A structural check of the DOT text (no Graphviz here): one digraph, balanced braces, every
// edge statement between declared nodes, and exactly the kept edges drawn with their port.
TEST(CircuitDot, DrawsTheKeptEdgesBetweenDeclaredNodes) {
    const Circuit c = randomCircuit(3, 4, 2, 11, 0.1);
    const std::string dot = circuitToDot(c);
    ASSERT_EQ(dot.rfind("digraph circuit {\n", 0), 0u);
    ASSERT_EQ(dot.substr(dot.size() - 2), "}\n");
    int depth = 0;
    for (char ch : dot) {
        depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
        ASSERT_GE(depth, 0);
    }
    EXPECT_EQ(depth, 0);

    const std::regex nodeLine(R"re(^\s+"([^"]+)" \[fillcolor="#[0-9a-f]{6}"\];$)re");
    const std::regex edgeLine(
        R"re(^\s+"([^"]+)" -> "([^"]+)" \[color="#[0-9a-f]{6}", penwidth=[0-9.]+(, label="([qkv])")?, tooltip="([^"]+) [-0-9.e]+"\];$)re");
    std::set<std::string> declared;
    std::multiset<std::string> drawn;
    std::istringstream lines(dot);
    std::string line;
    std::smatch m;
    while (std::getline(lines, line)) {
        ASSERT_EQ(std::count(line.begin(), line.end(), '"') % 2, 0) << line;
        if (std::regex_match(line, m, nodeLine)) {
            declared.insert(m[1]);
        } else if (std::regex_match(line, m, edgeLine)) {
            EXPECT_TRUE(declared.count(m[1])) << line;
            EXPECT_TRUE(declared.count(m[2])) << line;
            const std::string name = m[5];
            const int64_t e = c.graph.edgeIndex(std::string_view(name));
            ASSERT_GE(e, 0) << line;
            EXPECT_TRUE(c.inCircuit[e]) << line;
            // The label is the port in the edge's name (`...<k>`), absent for MLPs and logits.
            const size_t open = name.find('<');
            EXPECT_EQ(m[4].str(), open == std::string::npos ? "" : name.substr(open + 1, 1));
            drawn.insert(name);
        }
    }
    int64_t kept = 0;
    for (uint8_t k : c.inCircuit)
        kept += k;
    EXPECT_EQ(static_cast<int64_t>(drawn.size()), kept);
    EXPECT_EQ(std::set<std::string>(drawn.begin(), drawn.end()).size(), drawn.size());
}

}  // namespace
}  // namespace attnscope::analysis::circuits::test
