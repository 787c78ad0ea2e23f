// Circuit methods as batch analyses on the demo model: each item of a pairs dataset gives the
// same tables as `attnscope-cli circuit` and `patch` on that one pair, parameters are checked
// like a metric's, and an item under a non-empty edit list fails with its reason.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_batch_support.h"

namespace attnscope::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string pairsFile() {
    return demoModel() + "/eval/recall_pairs.jsonl";
}

std::string firstLines(const std::string& path, int n) {
    std::ifstream in(path);
    std::string out, line;
    for (int i = 0; i < n && std::getline(in, line); ++i)
        out += line + "\n";
    return out;
}

std::string circuitExperiment(const std::string& analyses, const std::string& edits = "") {
    return "models: [" + demoModel() + "]\ndatasets:\n  - file: " + pairsFile() +
           "\n    limit: 2\n" + edits + "analyses:\n" + analyses;
}

TEST(BatchCircuits, EachItemEqualsTheCircuitAndPatchCommandsOnItsPair) {
    TempDir dir;
    const std::string exp = dir.write(
        "exp.yaml", circuitExperiment("  - analysis: eap\n"
                                      "    params: {top_edges: 20}\n"
                                      "  - analysis: eap_ig\n"
                                      "    params: {steps: 2, top_edges: 20}\n"
                                      "  - analysis: acdc\n"
                                      "    params: {threshold: 0.05}\n"
                                      "  - analysis: exact_edge_patching\n"
                                      "    params: {top_edges: 20}\n"
                                      "  - analysis: activation_patching\n"
                                      "    params: {site: z}\n"
                                      "  - analysis: activation_patching\n"
                                      "    label: patch_attn_out\n"
                                      "    params: {site: attn_out, direction: denoising}\n"));
    const auto r = cli({"batch", exp, "--out", dir.file("r.h5"), "--progress=none"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 2u);

    for (int i = 0; i < 2; ++i) {
        SCOPED_TRACE(i);
        const app::ItemRecord& item = results.items[static_cast<size_t>(i)];
        ASSERT_EQ(item.status, "ok") << item.error;
        // The item's pair alone, through the circuit commands.
        const std::string pair = dir.write("pair.jsonl", [&] {
            std::istringstream lines(firstLines(pairsFile(), i + 1));
            std::string line;
            for (int k = 0; k <= i; ++k)
                std::getline(lines, line);
            return line + "\n";
        }());
        const auto circuitJson = [&](std::vector<std::string> extra) {
            std::vector<std::string> args{"circuit", "--model", demoModel(), "--data",
                                          pair,      "--quiet", "--json"};
            args.insert(args.end(), extra.begin(), extra.end());
            const auto c = cli(args);
            EXPECT_EQ(c.exitCode, 0) << c.err;
            return jsonOf(c);
        };
        const std::vector<std::pair<std::string, std::vector<std::string>>> methods = {
            {"eap", {"--method", "eap", "--top-edges", "20"}},
            {"eap_ig", {"--method", "eap-ig", "--steps", "2", "--top-edges", "20"}},
            {"acdc", {"--method", "acdc", "--threshold", "0.05"}},
            {"exact_edge_patching", {"--method", "exact", "--top-edges", "20"}},
        };
        for (const auto& [label, args] : methods) {
            SCOPED_TRACE(label);
            const json expected = circuitJson(args);
            const app::ResultTable& t = table(item, label);
            EXPECT_EQ(t.shape, "edges");
            EXPECT_EQ(t.columns, (std::vector<std::string>{"score", "in_circuit"}));
            ASSERT_EQ(static_cast<size_t>(t.rows), expected["edges"].size());
            const json params = json::parse(t.paramsJson);
            int kept = 0;
            for (int e = 0; e < t.rows; ++e) {
                const json& edge = expected["edges"][static_cast<size_t>(e)];
                EXPECT_EQ(params["edges"][static_cast<size_t>(e)], edge["name"]);
                const float score = t.values[static_cast<size_t>(2 * e)];
                if (edge["score"].is_null())  // an edge ACDC never scored
                    EXPECT_TRUE(std::isnan(score)) << edge["name"];
                else
                    EXPECT_NEAR(score, edge["score"].get<double>(),
                                1e-5 * std::max(1.0, std::fabs(edge["score"].get<double>())));
                EXPECT_EQ(t.values[static_cast<size_t>(2 * e + 1)] == 1.0f,
                          edge["in_circuit"].get<bool>())
                    << edge["name"];
                kept += edge["in_circuit"].get<bool>();
            }
            EXPECT_EQ(params["kept_edges"], kept);
            if (label != "acdc") {  // the top 20 by |score|, less what pruning drops
                EXPECT_GT(kept, 0);
                EXPECT_LE(kept, 20);
            }
        }

        const auto patch = [&](const std::string& site, const std::string& direction) {
            const auto p = cli({"patch", "--model", demoModel(), "--data", pair, "--site", site,
                                "--direction", direction, "--json"});
            EXPECT_EQ(p.exitCode, 0) << p.err;
            return jsonOf(p);
        };
        const json z = patch("z", "noising");
        const app::ResultTable& zt = table(item, "activation_patching");
        EXPECT_EQ(zt.shape, "head_scores");
        ASSERT_EQ(zt.rows, 4);
        ASSERT_EQ(zt.cols, 8);
        for (int l = 0; l < 4; ++l)
            for (int h = 0; h < 8; ++h)
                EXPECT_NEAR(
                    zt.values[static_cast<size_t>(8 * l + h)],
                    z["values"][static_cast<size_t>(l)][static_cast<size_t>(h)].get<double>(),
                    1e-4);
        const json attn = patch("attn_out", "denoising");
        const app::ResultTable& at = table(item, "patch_attn_out");
        EXPECT_EQ(at.shape, "per_layer");
        ASSERT_EQ(at.rows, 4);
        ASSERT_EQ(at.cols, 1);
        for (int l = 0; l < 4; ++l)
            EXPECT_NEAR(at.values[static_cast<size_t>(l)],
                        attn["values"][static_cast<size_t>(l)].get<double>(), 1e-4);
        EXPECT_NEAR(json::parse(at.paramsJson)["clean"].get<double>(), attn["clean"].get<double>(),
                    1e-4);
    }
    // The mean over the two pairs is aggregated like any table.
    bool meanEdges = false;
    for (const auto& [key, t] : results.aggregates)
        meanEdges |= t.analysis == "eap" && t.shape == "edges";
    EXPECT_TRUE(meanEdges);
}

TEST(BatchCircuits, ParametersAreCheckedLikeAMetricsWithTheLine) {
    TempDir dir;
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"  - analysis: eap_ig\n    params: {steps: 0}\n",
         {"exp.yaml:7", "analyses[0].params.steps", "outside"}},
        {"  - analysis: activation_patching\n    params: {site: embed}\n",
         {"exp.yaml:7", "analyses[0].params.site", "must be one of", "attn_out"}},
        {"  - analysis: acdc\n    params: {threshold: low}\n",
         {"exp.yaml:7", "analyses[0].params.threshold", "expected a number"}},
        {"  - analysis: eap\n    params: {steps: 3}\n",
         {"exp.yaml:7", "analyses[0].params.steps", "unknown key"}},
        {"  - analysis: eap_attribution\n",
         {"exp.yaml:6", "unknown analysis", "eap, eap_ig, acdc, activation_patching"}},
    };
    for (const auto& [analyses, parts] : cases) {
        SCOPED_TRACE(analyses);
        const auto r = cli({"batch", dir.write("exp.yaml", circuitExperiment(analyses)), "--out",
                            dir.file("r.h5"), "--progress=none"});
        EXPECT_EQ(r.exitCode, 3) << r.err;
        for (const auto& part : parts)
            EXPECT_NE(r.err.find(part), std::string::npos) << "'" << part << "' not in " << r.err;
        EXPECT_FALSE(fs::exists(dir.file("r.h5")));
    }
}

TEST(BatchCircuits, AnEditedItemOrOneThatIsNotAPairFailsWithItsReason) {
    TempDir dir;
    const std::string edits =
        "edits:\n  none: []\n  ablated: [{kind: zero_ablation, layer: 1, head: 0}]\n";
    const auto r =
        cli({"batch", dir.write("exp.yaml", circuitExperiment("  - analysis: eap\n", edits)),
             "--out", dir.file("r.h5"), "--progress=none"});
    EXPECT_EQ(r.exitCode, 5) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 4u);
    for (const auto& item : results.items) {
        EXPECT_EQ(item.status, item.edits == "none" ? "ok" : "failed") << item.error;
        if (item.edits != "none") {
            EXPECT_NE(item.error.find("unedited model"), std::string::npos) << item.error;
        }
    }

    // Needle prompts carry no corrupted prompt: not pairs.
    const std::string needle = "models: [" + demoModel() +
                               "]\ndatasets:\n  - file: " + demoModel() +
                               "/eval/needle.jsonl\n    limit: 1\nanalyses:\n  - analysis: acdc\n";
    const auto n =
        cli({"batch", dir.write("n.yaml", needle), "--out", dir.file("n.h5"), "--progress=none"});
    EXPECT_EQ(n.exitCode, 5) << n.err;
    const auto item = app::readBatchResults(dir.file("n.h5")).items.at(0);
    EXPECT_NE(item.error.find("not a prompt pair"), std::string::npos) << item.error;
}

}  // namespace
}  // namespace attnscope::test
