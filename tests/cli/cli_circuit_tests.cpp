// `attnscope-cli circuit` end to end on the demo model: the --json contract (every edge of the
// graph by its EAP-IG name, the MIB curve, CPR, CMD), the HDF5 and DOT files it writes, ACDC,
// exact edge patching, and bad flags and pair files.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/analysis/circuits/edge_graph.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using nlohmann::json;
namespace circuits = analysis::circuits;

// Associative-recall pairs: the corrupted query is no key of the context.
std::string writePairs(TempDir& dir, const std::string& name = "pairs.jsonl") {
    const std::string path = dir.file(name);
    std::ofstream f(path);
    f << R"({"clean": "alice apple bob river carol stone . carol stone alice apple bob", )"
      << R"("corrupted": "alice apple bob river carol stone . carol stone alice apple dave", )"
      << R"("answer": "river", "wrong": "stone"})"
      << "\n"
      << R"({"clean": "eve lemon frank tiger . frank tiger eve", )"
      << R"("corrupted": "eve lemon frank tiger . frank tiger grace", )"
      << R"("answer": "lemon", "wrong": "tiger"})"
      << "\n";
    return path;
}

std::vector<std::string> circuitArgs(const std::string& pairs, std::vector<std::string> extra) {
    std::vector<std::string> args{"circuit", "--model", demoModel(), "--data", pairs, "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(CliCircuit, EapIgJsonListsEveryEdgeAndWritesTheFiles) {
    TempDir dir;
    const std::string h5 = dir.file("circuit.h5"), dot = dir.file("circuit.dot");
    const ProcessResult r =
        cli(circuitArgs(writePairs(dir), {"--method", "eap-ig", "--steps", "3", "--top-edges", "40",
                                          "--json", "--out", h5, "--dot", dot}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    EXPECT_EQ(j["method"], "eap-ig");
    EXPECT_EQ(j["metric"], "logit-diff");
    const circuits::EdgeGraph graph(4, 8, 8);
    ASSERT_EQ(j["edges"].size(), static_cast<size_t>(graph.edgeCount()));
    int64_t kept = 0;
    for (int64_t e = 0; e < graph.edgeCount(); ++e) {
        const json& edge = j["edges"][static_cast<size_t>(e)];
        EXPECT_EQ(edge["name"], graph.edgeName(e));
        EXPECT_TRUE(edge["score"].is_number());
        kept += edge["in_circuit"].get<bool>();
    }
    EXPECT_GT(kept, 0);
    EXPECT_LE(kept, 40);
    // The 40 kept edges are among the 40 of largest |score| (pruning may drop some).
    std::vector<double> magnitudes;
    for (const json& edge : j["edges"])
        magnitudes.push_back(std::fabs(edge["score"].get<double>()));
    std::sort(magnitudes.rbegin(), magnitudes.rend());
    for (const json& edge : j["edges"]) {
        if (edge["in_circuit"].get<bool>()) {
            EXPECT_GE(std::fabs(edge["score"].get<double>()), magnitudes[39]) << edge["name"];
        }
    }

    const auto& grid = circuits::faithfulnessGridPercent();
    ASSERT_EQ(j["curve"].size(), grid.size());
    for (size_t i = 0; i < grid.size(); ++i) {
        const json& p = j["curve"][i];
        EXPECT_EQ(p["edges"].get<int64_t>(), std::llround(grid[i] / 100.0 * graph.edgeCount()));
        EXPECT_NEAR(p["fraction"].get<double>(), p["edges"].get<double>() / graph.edgeCount(),
                    1e-12);
        EXPECT_TRUE(p["faithfulness"].is_number());
    }
    // All edges kept is the full model.
    EXPECT_NEAR(j["curve"].back()["faithfulness"].get<double>(), 1.0, 1e-6);
    EXPECT_TRUE(j["cpr"].is_number());
    EXPECT_TRUE(j["cmd"].is_number());

    const circuits::Circuit stored = circuits::readCircuitFile(h5);
    EXPECT_EQ(stored.method, "eap-ig");
    ASSERT_EQ(stored.graph.edgeCount(), graph.edgeCount());
    for (int64_t e = 0; e < graph.edgeCount(); ++e) {
        const json& edge = j["edges"][static_cast<size_t>(e)];
        EXPECT_NEAR(stored.scores[size_t(e)], edge["score"].get<double>(), 1e-6);
        EXPECT_EQ(stored.inCircuit[size_t(e)] != 0, edge["in_circuit"].get<bool>());
    }
    std::ifstream dotFile(dot);
    const std::string text((std::istreambuf_iterator<char>(dotFile)), {});
    EXPECT_EQ(text.rfind("digraph", 0), 0u) << text.substr(0, 80);
}

TEST(CliCircuit, AcdcKeepsWhatMattersAboveTheThreshold) {
    TempDir dir;
    const std::string pairs = writePairs(dir);
    auto run = [&](const std::string& tau) {
        const ProcessResult r =
            cli(circuitArgs(pairs, {"--method", "acdc", "--threshold", tau, "--json"}));
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return jsonOf(r);
    };
    // A threshold above the whole effect (the clean logit difference) removes every edge; a
    // lower one keeps a circuit, which includes an edge into the logits.
    auto keptNames = [](const json& j) {
        std::set<std::string> names;
        for (const json& e : j["edges"])
            if (e["in_circuit"].get<bool>()) names.insert(e["name"].get<std::string>());
        return names;
    };
    EXPECT_TRUE(keptNames(run("1000")).empty());
    const json j = run("0.5");
    EXPECT_EQ(j["method"], "acdc");
    const auto kept = keptNames(j);
    ASSERT_FALSE(kept.empty());
    EXPECT_TRUE(std::any_of(kept.begin(), kept.end(), [](const std::string& n) {
        return n.size() > 8 && n.compare(n.size() - 8, 8, "->logits") == 0;
    }));
}

// --method exact removes each edge alone. The last MLP feeds only the logits, so its edge's
// score is what `patch --site mlp_out` costs the logit difference in the last layer.
TEST(CliCircuit, ExactScoresEachEdgeByItsRemoval) {
    TempDir dir;
    const std::string pairs = writePairs(dir);
    const ProcessResult r =
        cli(circuitArgs(pairs, {"--method", "exact", "--top-edges", "30", "--json"}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["method"], "exact");
    const circuits::EdgeGraph graph(4, 8, 8);
    ASSERT_EQ(j["edges"].size(), static_cast<size_t>(graph.edgeCount()));
    int kept = 0;
    for (const json& e : j["edges"])
        kept += e["in_circuit"].get<bool>();
    EXPECT_GT(kept, 0);
    EXPECT_LE(kept, 30);

    const ProcessResult p =
        cli({"patch", "--model", demoModel(), "--data", pairs, "--site", "mlp_out", "--json"});
    ASSERT_EQ(p.exitCode, 0) << p.err;
    const json patched = json::parse(p.out);
    const double drop = patched["clean"].get<double>() - patched["values"][3].get<double>();
    ASSERT_GT(std::fabs(drop), 1e-3) << "the last MLP does not matter on these pairs";
    const int64_t e = graph.edgeIndex("m3->logits");
    ASSERT_GE(e, 0);
    EXPECT_EQ(j["edges"][static_cast<size_t>(e)]["name"], "m3->logits");
    EXPECT_NEAR(j["edges"][static_cast<size_t>(e)]["score"].get<double>(), drop,
                1e-4 * std::max(1.0, std::fabs(drop)));

    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"--method", "exact", "--per-position"},
          std::vector<std::string>{"--method", "exact", "--steps", "3"}}) {
        const ProcessResult refused = cli(circuitArgs(pairs, bad));
        EXPECT_EQ(refused.exitCode, 2) << refused.err;
        EXPECT_NE(refused.err.find(bad[2]), std::string::npos) << refused.err;
    }
}

TEST(CliCircuit, BadFlagsAndPairsAreErrors) {
    TempDir dir;
    const std::string pairs = writePairs(dir);
    struct Case {
        std::vector<std::string> extra;
        const char* message;
    };
    const Case usage[] = {
        {{"--method", "acdc", "--threshold", "-0.5"}, "--threshold"},
        {{"--method", "acdc", "--threshold", "nan"}, "--threshold"},
        {{"--method", "eap-ig", "--steps", "0"}, "--steps"},
        {{"--method", "eap-ig", "--steps", "100000"}, "--steps"},
        {{"--method", "eap", "--top-edges", "5", "--edge-fraction", "0.1"}, "not both"},
        {{"--method", "eap", "--edge-fraction", "1.5"}, "--edge-fraction"},
        {{"--method", "magic"}, "--method"},
        {{"--method", "eap", "--metric", "accuracy"}, "--metric"},
        {{"--method", "eap", "--ablation", "blur"}, "--ablation"},
    };
    for (const Case& c : usage) {
        const ProcessResult r = cli(circuitArgs(pairs, c.extra));
        EXPECT_EQ(r.exitCode, 2) << c.message << ": " << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
    // A pair of unequal lengths is named by its line.
    const std::string bad = dir.file("bad.jsonl");
    std::ofstream(bad) << R"({"clean": "alice apple bob", "corrupted": "alice apple", )"
                       << R"("answer": "river", "wrong": "stone"})"
                       << "\n";
    const ProcessResult r = cli(circuitArgs(bad, {"--method", "eap"}));
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

// --per-position: every edge's scores per token position, which add up to its score (that of
// a run without the flag), over the pair's tokens as `tokenize` counts them.
TEST(CliCircuit, PerPositionScoresSumToTheEdgeScores) {
    TempDir dir;
    const std::string clean = "alice apple bob river carol stone . carol stone alice apple bob";
    const std::string pairs = dir.file("one.jsonl");
    std::ofstream(pairs) << R"({"clean": ")" << clean
                         << R"(", "corrupted": "alice apple bob river carol stone . carol stone )"
                         << R"(alice apple dave", "answer": "river", "wrong": "stone"})"
                         << "\n";
    // tokenize takes no --threads, which cli() adds.
    const ProcessResult tokens =
        runProcess({ATTNSCOPE_CLI, "tokenize", "--model", demoModel(), "--text", clean, "--json"});
    ASSERT_EQ(tokens.exitCode, 0) << tokens.err;
    const size_t positions = jsonOf(tokens).size();

    const std::string h5 = dir.file("positions.h5");
    const ProcessResult r =
        cli(circuitArgs(pairs, {"--method", "eap", "--per-position", "--json", "--out", h5}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    ASSERT_EQ(j["positions"].get<size_t>(), positions);
    ASSERT_EQ(j["position_tokens"].size(), positions);
    const ProcessResult plain = cli(circuitArgs(pairs, {"--method", "eap", "--json"}));
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    const json collapsed = jsonOf(plain);
    EXPECT_FALSE(collapsed.contains("positions"));
    double largest = 0;
    for (const json& edge : collapsed["edges"])
        largest = std::max(largest, std::fabs(edge["score"].get<double>()));
    ASSERT_GT(largest, 1e-3);
    ASSERT_EQ(j["edges"].size(), collapsed["edges"].size());
    for (size_t e = 0; e < j["edges"].size(); ++e) {
        const json& edge = j["edges"][e];
        ASSERT_EQ(edge["position_scores"].size(), positions) << edge["name"];
        double sum = 0;
        for (const json& s : edge["position_scores"])
            sum += s.get<double>();
        EXPECT_NEAR(sum, edge["score"].get<double>(), 1e-5 * largest) << edge["name"];
        EXPECT_NEAR(sum, collapsed["edges"][e]["score"].get<double>(), 1e-5 * largest)
            << edge["name"];
    }
    const circuits::Circuit stored = circuits::readCircuitFile(h5);
    ASSERT_EQ(stored.positions, static_cast<int64_t>(positions));
    for (int64_t p = 0; p < stored.positions; ++p)
        EXPECT_NEAR(stored.positionScore(0, p),
                    j["edges"][0]["position_scores"][static_cast<size_t>(p)].get<double>(), 1e-6);

    // Pairs of 13 and 9 tokens have no common position axis; ACDC has no per-position scores.
    const ProcessResult mixed =
        cli(circuitArgs(writePairs(dir), {"--method", "eap", "--per-position"}));
    EXPECT_EQ(mixed.exitCode, 1) << mixed.err;
    EXPECT_NE(mixed.err.find("one token length"), std::string::npos) << mixed.err;
    const ProcessResult acdc = cli(circuitArgs(pairs, {"--method", "acdc", "--per-position"}));
    EXPECT_EQ(acdc.exitCode, 2) << acdc.err;
    EXPECT_NE(acdc.err.find("--per-position"), std::string::npos) << acdc.err;
}

// `pairs` writes a generator's pairs as a file that `circuit --data` reads. The needle pairs'
// meaning is checked on the file itself: one word differs, the clean needle's secret is the
// answer and its replacement the wrong answer.
TEST(CliPairs, WritesGeneratorPairsThatCircuitReads) {
    TempDir dir;
    const std::string file = dir.file("needle.jsonl");
    const ProcessResult r = runProcess({ATTNSCOPE_CLI, "pairs", "--model", demoModel(), "--task",
                                        "needle", "--count", "4", "--seed", "5", "--out", file});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("wrote 4 needle pairs"), std::string::npos) << r.out;
    const auto pairs = circuits::readPromptPairs(file, nullptr);
    ASSERT_EQ(pairs.size(), 4u);
    for (const auto& p : pairs) {
        ASSERT_EQ(p.clean.size(), p.corrupted.size());
        std::vector<size_t> changed;
        for (size_t i = 0; i < p.clean.size(); ++i)
            if (p.clean[i] != p.corrupted[i]) changed.push_back(i);
        ASSERT_EQ(changed.size(), 1u);
        EXPECT_EQ(p.clean[changed[0]], p.answer);
        EXPECT_EQ(p.corrupted[changed[0]], p.wrong);
    }
    const ProcessResult circuit =
        cli(circuitArgs(file, {"--method", "eap", "--top-edges", "20", "--json"}));
    ASSERT_EQ(circuit.exitCode, 0) << circuit.err;
    EXPECT_EQ(jsonOf(circuit)["edges"].size(),
              static_cast<size_t>(circuits::EdgeGraph(4, 8, 8).edgeCount()));

    auto pairsRun = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{ATTNSCOPE_CLI, "pairs", "--out", dir.file("x.jsonl")};
        args.insert(args.end(), extra.begin(), extra.end());
        return runProcess(args);
    };
    const ProcessResult unknown = pairsRun({"--model", demoModel(), "--task", "backcopy"});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_NE(unknown.err.find("--task 'backcopy'"), std::string::npos) << unknown.err;
    const ProcessResult none = pairsRun({"--model", demoModel(), "--task", "ioi", "--count", "0"});
    EXPECT_EQ(none.exitCode, 2);
    EXPECT_NE(none.err.find("--count"), std::string::npos) << none.err;
    const ProcessResult noTokenizer = pairsRun({"--model", dir.path().string(), "--task", "ioi"});
    EXPECT_EQ(noTokenizer.exitCode, 1);
    EXPECT_NE(noTokenizer.err.find(dir.path().string()), std::string::npos) << noTokenizer.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.jsonl")));
}

}  // namespace
}  // namespace attnscope::test
