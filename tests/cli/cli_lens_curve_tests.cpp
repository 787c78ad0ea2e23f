// `lens` and `ablation-curve` against quantities the test gets independently from `run` and
// `score`.
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using nlohmann::json;

std::vector<std::string> withPrompt(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--model", demoModel(), "--prompt", kDemoPrompt});
    return args;
}

// The probability `run` gives `token` under `edits` (every vocabulary entry listed).
double runProb(int64_t token, std::vector<std::string> edits = {}) {
    std::vector<std::string> args = withPrompt({"run", "--json", "--top-k", "100000"});
    args.insert(args.end(), edits.begin(), edits.end());
    const ProcessResult r = cli(args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    for (const json& t : j["top_k"])
        if (t["id"] == token) return t["prob"].get<double>();
    ADD_FAILURE() << "token " << token << " not in the run's output";
    return -1;
}

TEST(CliLens, LastLayerIsTheRunsPredictionAndEditsOnlyChangeLaterLayers) {
    const ProcessResult plain = cli(withPrompt({"lens", "--json"}));
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    const json lens = jsonOf(plain);
    for (const char* key : {"token", "token_id", "prob", "baseline_prob"})
        ASSERT_TRUE(lens.contains(key)) << key;
    ASSERT_EQ(lens["prob"].size(), 4u);              // the demo model's layers
    EXPECT_EQ(lens["prob"], lens["baseline_prob"]);  // no edits: both runs are one
    const ProcessResult top = cli(withPrompt({"run", "--json", "--top-k", "1"}));
    ASSERT_EQ(top.exitCode, 0) << top.err;
    const json first = jsonOf(top)["top_k"][0];
    EXPECT_EQ(lens["token_id"], first["id"]);
    EXPECT_NEAR(lens["prob"][3].get<double>(), first["prob"].get<double>(), 1e-6);

    // Ablating layer 2 heads leaves what layers 0 and 1 wrote untouched.
    const ProcessResult edited = cli(withPrompt({"lens", "--json", "--ablate", "2.0,1,2"}));
    ASSERT_EQ(edited.exitCode, 0) << edited.err;
    const json e = jsonOf(edited);
    EXPECT_EQ(e["baseline_prob"], lens["baseline_prob"]);
    EXPECT_EQ(e["prob"][0], e["baseline_prob"][0]);
    EXPECT_EQ(e["prob"][1], e["baseline_prob"][1]);
    EXPECT_NE(e["prob"][2], e["baseline_prob"][2]);
}

TEST(CliLens, SplitSpecialTokensReachesTheLensAsItReachesRun) {
    // "the<eos>" ends on the special <eos> by default and is one unknown word with the flag
    // (CliRun.SplitSpecialTokensAppliesToPrompts): the lens's last layer is `run`'s prediction
    // for the same tokens in both cases, and the two inputs predict differently.
    std::vector<json> lenses;
    for (const bool split : {false, true}) {
        std::vector<std::string> lensArgs{"lens",     "--model",  demoModel(),
                                          "--prompt", "the<eos>", "--json"},
            runArgs{"run",      "--model", demoModel(), "--prompt",
                    "the<eos>", "--json",  "--top-k",   "1"};
        if (split) {
            lensArgs.push_back("--split-special-tokens");
            runArgs.push_back("--split-special-tokens");
        }
        const ProcessResult lens = cli(lensArgs), run = cli(runArgs);
        ASSERT_EQ(lens.exitCode, 0) << lens.err;
        ASSERT_EQ(run.exitCode, 0) << run.err;
        const json l = jsonOf(lens), top = jsonOf(run)["top_k"][0];
        EXPECT_EQ(l["token_id"], top["id"]) << "split " << split;
        EXPECT_NEAR(l["prob"].back().get<double>(), top["prob"].get<double>(), 1e-6)
            << "split " << split;
        lenses.push_back(l);
    }
    EXPECT_NE(lenses[0]["prob"], lenses[1]["prob"]);
}

TEST(CliLens, NeedsExactlyOnePrompt) {
    const ProcessResult r = cli({"lens", "--model", demoModel(), "--json"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--prompt"), std::string::npos) << r.err;
}

TEST(CliAblationCurve, PointsMatchSingleRunsWithThoseHeadsAblated) {
    TempDir dir;
    const std::string data = dir.write("prompt.txt", std::string(kDemoPrompt) + "\n");
    const ProcessResult r =
        cli(withPrompt({"ablation-curve", "--metric", "sink_mass", "--data", data, "--max-heads",
                        "2", "--random-orders", "3", "--json", "--quiet"}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json c = jsonOf(r);
    EXPECT_EQ(c["score"], "sink_mass");
    EXPECT_EQ(c["heads_removed"], json({0, 1, 2}));
    ASSERT_EQ(c["by_score"].size(), 3u);
    ASSERT_EQ(c["random_mean"].size(), 3u);
    ASSERT_EQ(c["random_std"].size(), 3u);
    EXPECT_EQ(c["random_std"][0], 0.0);
    EXPECT_EQ(c["by_score"][0], c["random_mean"][0]);
    for (const json& s : c["random_std"])
        EXPECT_GE(s.get<double>(), 0.0);

    // The ordering comes from `score` on the same data; the points from `run` with the first
    // one and two of those heads zero-ablated.
    const ProcessResult scored = cli({"score", "--model", demoModel(), "--metric", "sink_mass",
                                      "--data", data, "--json", "--quiet"});
    ASSERT_EQ(scored.exitCode, 0) << scored.err;
    const json table = jsonOf(scored)["scores"];
    std::vector<std::pair<double, std::string>> heads;
    for (size_t l = 0; l < table.size(); ++l)
        for (size_t h = 0; h < table[l].size(); ++h)
            if (!table[l][h].is_null())
                heads.push_back(
                    {table[l][h].get<double>(), std::to_string(l) + "." + std::to_string(h)});
    std::stable_sort(heads.begin(), heads.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    ASSERT_GE(heads.size(), 2u);
    const ProcessResult top = cli(withPrompt({"run", "--json", "--top-k", "1"}));
    const int64_t token = jsonOf(top)["top_k"][0]["id"].get<int64_t>();
    EXPECT_NEAR(c["by_score"][0].get<double>(), runProb(token), 1e-6);
    EXPECT_NEAR(c["by_score"][1].get<double>(), runProb(token, {"--ablate", heads[0].second}),
                1e-6);
    EXPECT_NEAR(c["by_score"][2].get<double>(),
                runProb(token, {"--ablate", heads[0].second, "--ablate", heads[1].second}), 1e-6);
}

TEST(CliAblationCurve, UnknownMetricListsTheKnownOnes) {
    const ProcessResult r = cli(withPrompt({"ablation-curve", "--metric", "no_such_metric"}));
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("no_such_metric"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("sink_mass"), std::string::npos) << r.err;
}

// Without --data, a retrieval metric runs on the model folder's needle prompts (the demo ships
// eval/needle.jsonl), not on plain probe prompts that carry no needle.
TEST(CliScore, RetrievalMetricsUseTheModelsNeedleDataByDefault) {
    const ProcessResult r = cli({"score", "--model", demoModel(), "--metric", "retrieval_score",
                                 "--param", "max_new_tokens=6", "--json", "--quiet"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::ifstream needles(demoModel() + "/eval/needle.jsonl");
    size_t lines = 0;
    for (std::string line; std::getline(needles, line);)
        lines += !line.empty();
    const json j = jsonOf(r);
    EXPECT_EQ(j["details"]["instances"], lines);
    EXPECT_FALSE(j["details"].contains("generated_grid"));
}

}  // namespace
}  // namespace attnscope::test
