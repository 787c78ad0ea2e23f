// Plugin metrics in batch experiments (issue 16): `metric: plugin:NAME` runs through `batch` like a
// built-in, in one process and under `mpirun -n 2`; a plugin that raises fails its items with the
// plugin's file and line and the run goes on (exit 5); one that did not load is a bad experiment
// (exit 3) naming why.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli_batch_support.h"

namespace attnscope::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string pluginExperiment(const std::string& analyses, int limit = 3) {
    return "models: [" + demoModel() + "]\ndatasets:\n  - file: " + demoModel() +
           "/eval/needle.jsonl\n    limit: " + std::to_string(limit) +
           "\nedits:\n  none: []\n  ablated: [{kind: zero_ablation, layer: 1, head: 0}]\n" +
           "analyses:\n" + analyses;
}

std::vector<std::string> batchArgs(const std::string& exp, const std::string& out) {
    return {ATTNSCOPE_CLI, "batch", exp, "--out", out, "--progress=json", "--threads", "1"};
}

std::string firstEntry() {
    std::ifstream in(demoModel() + "/eval/needle.jsonl");
    std::string line;
    std::getline(in, line);
    return line + "\n";
}

TEST(BatchPlugins, APluginMetricRunsLikeABuiltInAndUnderMpirun) {
    TempDir dir;
    const std::string exp =
        dir.write("exp.yaml", pluginExperiment("  - metric: plugin:attention_entropy\n"
                                               "    params: {normalize: true}\n"
                                               "  - metric: row_entropy\n"
                                               "  - metric: plugin:induction\n"));
    const auto one = runWithTestPlugins(batchArgs(exp, dir.file("one.h5")));
    ASSERT_EQ(one.exitCode, 0) << one.err;
    const auto results = app::readBatchResults(dir.file("one.h5"));
    ASSERT_EQ(results.items.size(), 6u);
    for (const auto& item : results.items) {
        SCOPED_TRACE(item.key);
        ASSERT_EQ(item.status, "ok") << item.error;
        // Normalised attention entropy is the built-in row_entropy, edited or not: two
        // implementations of one quantity, the plugin's through the embedded interpreter.
        const auto& plugin = table(item, "plugin:attention_entropy");
        const auto& builtin = table(item, "row_entropy");
        EXPECT_EQ(plugin.shape, "head_scores");
        ASSERT_EQ(plugin.values.size(), builtin.values.size());
        for (size_t i = 0; i < plugin.values.size(); ++i)
            EXPECT_NEAR(plugin.values[i], builtin.values[i], 1e-5) << i;
    }
    // Item 0 (unedited) equals `score --metric plugin:induction` on its prompt.
    const auto score = runWithTestPlugins(
        {ATTNSCOPE_CLI, "score", "--model", demoModel(), "--metric", "plugin:induction", "--data",
         dir.write("one.jsonl", firstEntry()), "--json", "--quiet", "--threads", "1"});
    ASSERT_EQ(score.exitCode, 0) << score.err;
    const json expected = jsonOf(score)["scores"];
    const auto& induction = table(results.items[0], "plugin:induction");
    for (int l = 0; l < induction.rows; ++l)
        for (int h = 0; h < induction.cols; ++h) {
            const json& e = expected[static_cast<size_t>(l)][static_cast<size_t>(h)];
            const float v = induction.values[static_cast<size_t>(l * induction.cols + h)];
            if (e.is_null())
                EXPECT_TRUE(std::isnan(v));
            else
                EXPECT_NEAR(v, e.get<double>(), 1e-6);
        }

    const fs::path mpirun = "/usr/bin/mpirun";
    if (!fs::exists(mpirun)) GTEST_SKIP() << "mpirun is not installed (scripts/install-deps.sh)";
    std::vector<std::string> args{mpirun.string(), "--allow-run-as-root", "--oversubscribe", "-n",
                                  "2"};
    for (const auto& a : batchArgs(exp, dir.file("two.h5")))
        args.push_back(a);
    const auto two = runWithTestPlugins(args);
    ASSERT_EQ(two.exitCode, 0) << two.out << two.err;
    EXPECT_NE(two.out.find("\"rank\":1"), std::string::npos) << two.out;
    const auto sharded = app::readBatchResults(dir.file("two.h5"));
    ASSERT_EQ(sharded.items.size(), results.items.size());
    for (size_t i = 0; i < sharded.items.size(); ++i)
        EXPECT_TRUE(sharded.items[i] == results.items[i]) << sharded.items[i].key;
}

TEST(BatchPlugins, APluginThatRaisesFailsItsItemsWithFileAndLineAndTheRunGoesOn) {
    TempDir dir;
    const std::string exp = dir.write("exp.yaml", pluginExperiment("  - metric: sink_mass\n"
                                                                   "  - metric: plugin:raises\n",
                                                                   2));
    const auto r = runWithTestPlugins(batchArgs(exp, dir.file("r.h5")));
    EXPECT_EQ(r.exitCode, 5) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 4u);
    for (const auto& item : results.items) {
        EXPECT_EQ(item.status, "failed");
        EXPECT_NE(item.error.find("plugin raises (" + testPluginDir() + "/raises.py:10): KeyError"),
                  std::string::npos)
            << item.error;
    }
    // The interpreter carries on: a later run in the same experiment file's shape succeeds.
    const auto ok = runWithTestPlugins(batchArgs(
        dir.write("ok.yaml", pluginExperiment("  - metric: plugin:attention_entropy\n", 1)),
        dir.file("ok.h5")));
    EXPECT_EQ(ok.exitCode, 0) << ok.err;
}

TEST(BatchPlugins, APluginThatDidNotLoadIsABadExperimentNamingWhy) {
    TempDir dir;
    const std::string exp =
        dir.write("exp.yaml", pluginExperiment("  - metric: plugin:syntax_error\n"));
    const auto r = runWithTestPlugins(batchArgs(exp, dir.file("r.h5")));
    EXPECT_EQ(r.exitCode, 3) << r.err;
    for (const std::string& part : {std::string("exp.yaml:9"), std::string("analyses[0].metric"),
                                    std::string("plugin:syntax_error"),
                                    "not loaded: plugin syntax_error (" + testPluginDir() +
                                        "/syntax_error.py:8): SyntaxError"})
        EXPECT_NE(r.err.find(part), std::string::npos) << "'" << part << "' not in " << r.err;
    EXPECT_FALSE(fs::exists(dir.file("r.h5")));
}

}  // namespace
}  // namespace attnscope::test
