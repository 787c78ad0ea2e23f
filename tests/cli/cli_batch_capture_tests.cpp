// The experiment's `capture:` spec: each item's activations of the chosen hooks and layers in a
// capture file beside the results, equal to `attnscope-cli run --capture` of the same prompt
// under the same edits; kept through SIGKILL and --resume; bad specs refused before any item runs.
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "attnscope/store/capture_reader.h"
#include "cli_batch_support.h"

namespace attnscope::test {
namespace {

namespace fs = std::filesystem;

std::string captureExperiment(const std::string& capture) {
    return "models: [" + demoModel() + "]\ndatasets:\n  - file: " + demoModel() +
           "/eval/needle.jsonl\n    limit: 2\n"
           "edits:\n  none: []\n  ablated: [{kind: zero_ablation, layer: 1, head: 0}]\n"
           "analyses:\n  - metric: sink_mass\n" +
           capture;
}

const std::string kPatterns = "capture:\n  hooks: [blocks.*.attn.hook_pattern]\n  layers: [0, 2]\n";

TEST(BatchCapture, EachItemsPatternsEqualTheRunCommandsUnderItsEdits) {
    TempDir dir;
    const auto r = batch(dir.write("exp.yaml", captureExperiment(kPatterns)), dir.file("r.h5"));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 4u);
    for (const auto& item : results.items) {
        SCOPED_TRACE(item.key);
        ASSERT_EQ(item.status, "ok") << item.error;
        EXPECT_EQ(item.capture, "r.captures/" + item.key + ".h5");
        const store::CaptureReader stored(dir.path() / item.capture);
        ASSERT_EQ(stored.runCount(), 1);
        EXPECT_EQ(stored.hooks(0), (std::vector<std::string>{"blocks.0.attn.hook_pattern",
                                                             "blocks.2.attn.hook_pattern"}));
        // The same prompt and edits through `run`.
        std::vector<std::string> args{"run",
                                      "--model",
                                      demoModel(),
                                      "--prompt",
                                      item.prompt,
                                      "--capture",
                                      "blocks.*.attn.hook_pattern",
                                      "--out",
                                      dir.file("expected.h5")};
        if (item.edits == "ablated") {
            args.push_back("--ablate");
            args.push_back("1.0");
        }
        const auto run = cli(args);
        ASSERT_EQ(run.exitCode, 0) << run.err;
        const store::CaptureReader expected(dir.file("expected.h5"));
        for (const std::string hook :
             {"blocks.0.attn.hook_pattern", "blocks.2.attn.hook_pattern"}) {
            const auto a = stored.readHook(0, hook), b = expected.readHook(0, hook);
            EXPECT_EQ(stored.shape(0, hook), expected.shape(0, hook));
            ASSERT_EQ(a.size(), b.size());
            for (size_t i = 0; i < a.size(); ++i)
                ASSERT_NEAR(a[i], b[i], 1e-6) << hook << " " << i;
        }
    }
    // The ablation of L1H0 reaches layer 2's patterns, not layer 0's.
    const store::CaptureReader plain(dir.path() / results.items[0].capture);
    const store::CaptureReader ablated(dir.path() / results.items[1].capture);
    EXPECT_EQ(plain.readHook(0, "blocks.0.attn.hook_pattern"),
              ablated.readHook(0, "blocks.0.attn.hook_pattern"));
    EXPECT_NE(plain.readHook(0, "blocks.2.attn.hook_pattern"),
              ablated.readHook(0, "blocks.2.attn.hook_pattern"));
}

TEST(BatchCapture, CapturesSurviveSigkillAndResume) {
    TempDir dir;
    const std::string exp = dir.write("exp.yaml", captureExperiment(kPatterns));
    ::setenv("ATTNSCOPE_BATCH_KILL_AFTER", "3", 1);
    const auto killed = batch(exp, dir.file("r.h5"));
    ::unsetenv("ATTNSCOPE_BATCH_KILL_AFTER");
    ASSERT_EQ(killed.exitCode, -SIGKILL) << killed.err;
    // Every committed item has its file.
    const auto committed = app::committedItems(dir.file("r.h5"));
    ASSERT_EQ(committed.items.size(), 3u);
    for (const auto& item : committed.items)
        EXPECT_TRUE(fs::exists(dir.path() / item.capture)) << item.capture;
    const auto resumed = batch(exp, dir.file("r.h5"), {"--resume"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 4u);
    for (const auto& item : results.items) {
        ASSERT_FALSE(item.capture.empty()) << item.key;
        EXPECT_EQ(store::CaptureReader(dir.path() / item.capture).hooks(0).size(), 2u);
    }
}

TEST(BatchCapture, ABadCaptureSpecIsABadExperimentNamingTheLine) {
    TempDir dir;
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"capture:\n  hooks: [blocks.*.attn.hook_patern]\n",
         {"exp.yaml:11: capture", "models[0]", "hook_patern"}},
        {"capture:\n  hooks: [blocks.*.attn.hook_pattern]\n  layers: [7]\n",
         {"exp.yaml:11: capture", "layer 7 is out of range"}},
        {"capture:\n  hooks: [blocks.*.attn.hook_pattern]\n  storage: int8\n",
         {"exp.yaml:12", "capture.storage", "float16"}},
        {"capture:\n  layers: [0]\n", {"exp.yaml:11", "capture", "give the hooks"}},
        {"capture:\n  hooks: [blocks.*.attn.hook_pattern]\n  heads: [0]\n",
         {"exp.yaml:12", "capture.heads", "unknown key"}},
    };
    for (const auto& [capture, parts] : cases) {
        SCOPED_TRACE(capture);
        const auto r = batch(dir.write("exp.yaml", captureExperiment(capture)), dir.file("r.h5"));
        EXPECT_EQ(r.exitCode, 3) << r.err;
        for (const auto& part : parts)
            EXPECT_NE(r.err.find(part), std::string::npos) << "'" << part << "' not in " << r.err;
        EXPECT_FALSE(fs::exists(dir.file("r.h5")));
        EXPECT_FALSE(fs::exists(dir.file("r.captures")));
    }
}

}  // namespace
}  // namespace attnscope::test
