// `attnscope-cli circuit-eval` end to end: circuit files for another model refused, bad files
// named, ROC AUC and overlap of circuits built with known answers, and the faithfulness of
// kept-edge sets whose values the test knows (every edge, none) on the demo model.
#include <algorithm>
#include <cmath>
#include <functional>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using nlohmann::json;
namespace circuits = analysis::circuits;

// The demo model: 4 layers of 8 heads, no grouped-query attention.
constexpr int kLayers = 4, kHeads = 8;
// An associative-recall pair: the corrupted query `dave` is no key of the context.
const char* kClean = "alice apple bob river carol stone . carol stone alice apple bob";
const char* kCorrupted = "alice apple bob river carol stone . carol stone alice apple dave";

std::string demoFingerprint() {
    static const std::string fingerprint = [] {
        const ProcessResult r = cli({"info", "--model", demoModel(), "--json"});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        return jsonOf(r)["fingerprint"].get<std::string>();
    }();
    return fingerprint;
}

// A demo-shaped circuit keeping the edges `keep` says, scored by `score`.
circuits::Circuit demoCircuit(const std::function<bool(int64_t)>& keep,
                              const std::function<float(int64_t)>& score) {
    circuits::Circuit c;
    c.graph = circuits::EdgeGraph(kLayers, kHeads, kHeads);
    c.method = "manual";
    c.modelFingerprint = demoFingerprint();
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
        c.inCircuit.push_back(keep(e) ? 1 : 0);
        c.scores.push_back(score(e));
    }
    return c;
}

std::vector<std::string> evalArgs(const std::string& circuit, std::vector<std::string> extra) {
    std::vector<std::string> args{"circuit-eval", "--model", demoModel(), "--circuit", circuit};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(CliCircuitEval, RefusesACircuitForAnotherModel) {
    TempDir dir;
    circuits::Circuit c =
        demoCircuit([](int64_t e) { return e < 10; }, [](int64_t) { return 1.0f; });
    c.modelFingerprint = "sha256:not-the-demo-model";
    for (const std::string name : {"other.h5", "other.json"}) {
        circuits::writeCircuitFile(dir.file(name), c);
        const ProcessResult r = cli(evalArgs(dir.file(name), {"--json"}));
        EXPECT_EQ(r.exitCode, 1);
        EXPECT_NE(r.err.find(dir.file(name)), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("fingerprint mismatch"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    // Another graph shape: a circuit of a 2-layer, 4-head model.
    circuits::Circuit small;
    small.graph = circuits::EdgeGraph(2, 4, 4);
    small.scores.assign(small.graph.edgeCount(), 0.5f);
    small.inCircuit.assign(small.graph.edgeCount(), 1);
    circuits::writeCircuitFile(dir.file("small.json"), small);
    const ProcessResult r = cli(evalArgs(dir.file("small.json"), {}));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("another model"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2 layers x 4 heads"), std::string::npos) << r.err;
}

TEST(CliCircuitEval, BadFilesAndFlagsAreNamed) {
    TempDir dir;
    const std::string garbage =
        dir.write("garbage.json", "{\"cfg\": {\"n_layers\": 4}, \"edges\": {}}");
    ProcessResult r = cli(evalArgs(garbage, {}));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find(garbage + ": cfg.n_heads"), std::string::npos) << r.err;

    const std::string truncated = dir.file("truncated.h5");
    circuits::writeCircuitFile(
        truncated, demoCircuit([](int64_t) { return true; }, [](int64_t) { return 1.0f; }));
    std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 3);
    r = cli(evalArgs(truncated, {}));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find(truncated), std::string::npos) << r.err;

    r = cli(evalArgs(dir.file("absent.h5"), {}));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("absent.h5: no such file"), std::string::npos) << r.err;

    const std::string good = dir.file("good.json");
    circuits::writeCircuitFile(
        good, demoCircuit([](int64_t) { return true; }, [](int64_t) { return 1.0f; }));
    r = cli(evalArgs(good, {"--metric", "accuracy"}));
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--metric 'accuracy'"), std::string::npos) << r.err;
    r = cli(evalArgs(good, {"--clean", kClean, "--corrupted", kCorrupted}));
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--answer is required"), std::string::npos) << r.err;
    r = cli(evalArgs(good, {"--data", "x.jsonl", "--clean", kClean}));
    EXPECT_EQ(r.exitCode, 2);
    // A reference that is every edge has no negatives: ROC AUC is undefined.
    r = cli(evalArgs(good, {"--reference", good}));
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find(good + ": ROC AUC"), std::string::npos) << r.err;
}

TEST(CliCircuitEval, RocAucAndOverlapOfCircuitsWithKnownAnswers) {
    TempDir dir;
    // The reference keeps every edge into layer 1 and above from layer-0 heads: scored circuit
    // A gives those edges score 2 and the rest 1, except 10 of the others that tie at 2.
    const circuits::EdgeGraph g(kLayers, kHeads, kHeads);
    const auto inReference = [&](int64_t e) {
        const circuits::GraphNode& s = g.nodes()[g.edgeSender(e)];
        return s.kind == circuits::NodeKind::Head && s.layer == 0;
    };
    int64_t positives = 0;
    for (int64_t e = 0; e < g.edgeCount(); ++e)
        positives += inReference(e);
    const int64_t negatives = g.edgeCount() - positives;
    std::vector<int64_t> tiedNegatives;
    for (int64_t e = 0; e < g.edgeCount() && tiedNegatives.size() < 10; ++e)
        if (!inReference(e)) tiedNegatives.push_back(e);
    const auto tied = [&](int64_t e) {
        return std::find(tiedNegatives.begin(), tiedNegatives.end(), e) != tiedNegatives.end();
    };
    const circuits::Circuit a =
        demoCircuit([&](int64_t e) { return inReference(e) && e % 2 == 0; },
                    [&](int64_t e) { return inReference(e) || tied(e) ? 2.0f : 1.0f; });
    // B keeps every reference edge.
    const circuits::Circuit b = demoCircuit(inReference, [](int64_t) { return 0.0f; });
    circuits::writeCircuitFile(dir.file("a.h5"), a);
    circuits::writeCircuitFile(dir.file("b.json"), b);

    const ProcessResult r =
        cli(evalArgs(dir.file("a.h5"), {"--reference", dir.file("b.json"), "--compare",
                                        dir.file("b.json"), "--json"}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    // Every positive outranks every negative except the 10 ties, which count one half each.
    const double expectedAuc = 1.0 - 10.0 * 0.5 / static_cast<double>(negatives);
    EXPECT_NEAR(j["roc_auc"]["edges"].get<double>(), expectedAuc, 1e-12);
    EXPECT_EQ(j["roc_auc"]["reference"], dir.file("b.json"));
    // Every head and MLP touches a reference edge: no node is outside it, node AUC undefined.
    EXPECT_TRUE(j["roc_auc"]["nodes"].is_null());
    // A's kept edges are half of B's (the even indices among them), so |A∩B| = |A|.
    int64_t keptA = 0;
    for (uint8_t k : a.inCircuit)
        keptA += k;
    EXPECT_EQ(j["overlap"]["edges"]["a"], keptA);
    EXPECT_EQ(j["overlap"]["edges"]["b"], positives);
    EXPECT_EQ(j["overlap"]["edges"]["both"], keptA);
    EXPECT_DOUBLE_EQ(j["overlap"]["edges"]["containment"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(j["overlap"]["edges"]["jaccard"].get<double>(),
                     double(keptA) / double(positives));
    // Heads: B touches every head (layer-0 heads send; every later head receives); A too.
    EXPECT_EQ(j["overlap"]["heads"]["b"], kLayers * kHeads);
    EXPECT_FALSE(j.contains("faithfulness"));  // no pairs given
}

// Faithfulness with every edge kept is 1 and with none 0 (spec 6.8); the curve's last point
// keeps every edge; CPR is the trapezoid area of the printed curve.
TEST(CliCircuitEval, FaithfulnessOfKnownEdgeSetsOnTheDemoModel) {
    TempDir dir;
    const auto score = [](int64_t e) { return float(std::sin(0.7 * double(e))); };
    circuits::writeCircuitFile(dir.file("all.h5"),
                               demoCircuit([](int64_t) { return true; }, score));
    circuits::writeCircuitFile(dir.file("none.h5"),
                               demoCircuit([](int64_t) { return false; }, score));
    const std::vector<std::string> pair{"--clean", kClean,    "--corrupted", kCorrupted, "--answer",
                                        "river",   "--wrong", "stone",       "--json"};
    const ProcessResult all = cli(evalArgs(dir.file("all.h5"), pair));
    ASSERT_EQ(all.exitCode, 0) << all.err;
    const json full = jsonOf(all);
    EXPECT_EQ(full["edges_kept"], full["edges_total"]);
    EXPECT_NEAR(full["faithfulness"].get<double>(), 1.0, 1e-5);
    EXPECT_NEAR(full["circuit_metric"].get<double>(), full["full_model"].get<double>(), 1e-4);
    EXPECT_GT(full["full_model"].get<double>(), full["empty_circuit"].get<double>());

    const ProcessResult none = cli(evalArgs(dir.file("none.h5"), pair));
    ASSERT_EQ(none.exitCode, 0) << none.err;
    const json empty = jsonOf(none);
    EXPECT_EQ(empty["edges_kept"], 0);
    EXPECT_NEAR(empty["faithfulness"].get<double>(), 0.0, 1e-5);
    // The curves do not depend on the kept set, only on the scores.
    EXPECT_EQ(empty["curve"], full["curve"]);
    for (const char* key : {"curve", "curve_absolute"}) {
        const json& curve = full[key];
        ASSERT_EQ(curve.size(), circuits::faithfulnessGridPercent().size());
        EXPECT_EQ(curve.back()["edges"], full["edges_total"]);
        EXPECT_NEAR(curve.back()["faithfulness"].get<double>(), 1.0, 1e-5);
    }
    double cpr = 0, cmd = 0;
    for (size_t i = 1; i < full["curve"].size(); ++i) {
        const json& p = full["curve"][i - 1];
        const json& q = full["curve"][i];
        cpr += (q["fraction"].get<double>() - p["fraction"].get<double>()) *
               (q["faithfulness"].get<double>() + p["faithfulness"].get<double>()) / 2;
        const json& pa = full["curve_absolute"][i - 1];
        const json& qa = full["curve_absolute"][i];
        cmd += (qa["fraction"].get<double>() - pa["fraction"].get<double>()) *
               (std::fabs(1 - qa["faithfulness"].get<double>()) +
                std::fabs(1 - pa["faithfulness"].get<double>())) /
               2;
    }
    EXPECT_NEAR(full["cpr"].get<double>(), cpr, 1e-9);
    EXPECT_NEAR(full["cmd"].get<double>(), cmd, 1e-9);
}

// Sessions keep circuits: `session save --circuit` stores them, `show` lists them, `export`
// writes them as EAP-IG JSON that reads back equal, and a circuit of another model is refused.
TEST(CliCircuitEval, SessionsSaveShowAndExportCircuits) {
    TempDir dir;
    const circuits::Circuit c = demoCircuit([](int64_t e) { return e % 5 == 0; },
                                            [](int64_t e) { return float(e % 11) - 5.0f; });
    circuits::writeCircuitFile(dir.file("c.h5"), c);
    const std::string session = dir.file("s.h5");
    ProcessResult r = cli({"session", "save", session, "--model", demoModel(), "--prompt", kClean,
                           "--circuit", dir.file("c.h5"), "--threads", "1"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    r = cli({"session", "show", session, "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json shown = jsonOf(r)["circuits"];
    ASSERT_EQ(shown.size(), 1u);
    EXPECT_EQ(shown[0]["method"], "manual");
    EXPECT_EQ(shown[0]["edges"], c.graph.edgeCount());
    EXPECT_EQ(shown[0]["kept"], (c.graph.edgeCount() + 4) / 5);
    r = cli({"session", "export", session, "--out", dir.file("out")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(circuits::circuitToJson(circuits::readCircuitFile(dir.file("out/circuit-0.json"))),
              circuits::circuitToJson(c));

    circuits::Circuit foreign = c;
    foreign.modelFingerprint = "sha256:other";
    circuits::writeCircuitFile(dir.file("foreign.json"), foreign);
    r = cli({"session", "save", dir.file("s2.h5"), "--model", demoModel(), "--prompt", kClean,
             "--circuit", dir.file("foreign.json"), "--threads", "1"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("foreign.json: the circuit is for another model"), std::string::npos)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("s2.h5")));
}

// Pairs from a JSONL file: two pairs average; a bad line is named.
TEST(CliCircuitEval, PairsFromAFile) {
    TempDir dir;
    const std::string circuit = dir.file("c.json");
    circuits::writeCircuitFile(circuit, demoCircuit([](int64_t e) { return e % 3 == 0; },
                                                    [](int64_t e) { return float(e % 7); }));
    const std::string pairs = dir.write(
        "pairs.jsonl",
        std::string(R"({"clean": ")") + kClean + R"(", "corrupted": ")" + kCorrupted +
            R"(", "answer": "river", "wrong": "stone"})" + "\n" +
            R"({"clean": "frank anchor tina stone hannah guitar . hannah guitar tina stone frank", )"
            R"("corrupted": "frank anchor tina stone hannah guitar . hannah guitar tina stone bob", )"
            R"("answer": "anchor", "wrong": "guitar"})"
            "\n");
    const ProcessResult r = cli(evalArgs(circuit, {"--data", pairs, "--json"}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    EXPECT_EQ(j["edges_kept"], (j["edges_total"].get<int64_t>() + 2) / 3);
    EXPECT_NEAR(j["faithfulness"].get<double>(),
                (j["circuit_metric"].get<double>() - j["empty_circuit"].get<double>()) /
                    (j["full_model"].get<double>() - j["empty_circuit"].get<double>()),
                1e-9);

    const std::string bad = dir.write(
        "bad.jsonl", std::string(R"({"clean": ")") + kClean + R"(", "corrupted": "alice apple", )" +
                         R"("answer": "river", "wrong": "stone"})" + "\n");
    const ProcessResult refused = cli(evalArgs(circuit, {"--data", bad}));
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_NE(refused.err.find("bad.jsonl"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("line 1"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace attnscope::test
