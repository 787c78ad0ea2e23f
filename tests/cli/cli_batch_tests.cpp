// `attnscope-cli batch` end to end: a 20-item experiment on the demo model (2 edit lists x 2
// metrics), SIGKILL mid-run then --resume, mpirun -n 2, malformed experiment files, failed
// items and changed experiments.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "cli_batch_support.h"
#include "file_bytes.h"

namespace attnscope::test {
namespace {

namespace fs = std::filesystem;

std::string needleFile() {
    return demoModel() + "/eval/needle.jsonl";
}

// The example's shape with absolute paths: 10 needle prompts x {none, ablate L1H0} x
// {retrieval_score, sink_mass}.
std::string experiment(const std::string& analyses =
                           "  - metric: retrieval_score\n"
                           "  - metric: sink_mass\n",
                       const std::string& extraEdits = "") {
    return "name: test\n"
           "models: [" +
           demoModel() +
           "]\n"
           "datasets:\n"
           "  - file: " +
           needleFile() +
           "\n"
           "    limit: 10\n"
           "edits:\n"
           "  none: []\n"
           "  ablate_l1h0: [{kind: zero_ablation, layer: 1, head: 0}]\n" +
           extraEdits + "analyses:\n" + analyses;
}

// Everything an uninterrupted run and a resumed or sharded one must agree on.
void expectSameResults(const TempDir& a, const TempDir& b) {
    EXPECT_EQ(readFile(a.file("r.csv")), readFile(b.file("r.csv")));
    const auto ra = app::readBatchResults(a.file("r.h5"));
    const auto rb = app::readBatchResults(b.file("r.h5"));
    ASSERT_EQ(ra.items.size(), rb.items.size());
    for (size_t i = 0; i < ra.items.size(); ++i)
        EXPECT_TRUE(ra.items[i] == rb.items[i]) << ra.items[i].key;
    ASSERT_EQ(ra.aggregates.size(), rb.aggregates.size());
    for (size_t i = 0; i < ra.aggregates.size(); ++i) {
        EXPECT_EQ(ra.aggregates[i].first, rb.aggregates[i].first);
        EXPECT_TRUE(ra.aggregates[i].second == rb.aggregates[i].second);
    }
}

// One uninterrupted run of the standard experiment, shared by the comparisons.
class BatchRun : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir;
        s_exp = s_dir->write("exp.yaml", experiment());
        s_result = new ProcessResult(batch(s_exp, s_dir->file("r.h5")));
    }
    static void TearDownTestSuite() {
        delete s_result;
        delete s_dir;
    }
    static TempDir* s_dir;
    static std::string s_exp;
    static ProcessResult* s_result;
};
TempDir* BatchRun::s_dir = nullptr;
std::string BatchRun::s_exp;
ProcessResult* BatchRun::s_result = nullptr;

TEST_F(BatchRun, RunsTwentyItemsWithTwoMetricsEachAndWritesSummaries) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    const auto r = app::readBatchResults(s_dir->file("r.h5"));
    EXPECT_EQ(r.itemsTotal, 20);
    ASSERT_EQ(r.items.size(), 20u);
    for (const auto& item : r.items) {
        EXPECT_EQ(item.status, "ok") << item.error;
        ASSERT_EQ(item.tables.size(), 2u);
        EXPECT_EQ(item.tables[0].analysis, "retrieval_score");
        EXPECT_EQ(item.tables[1].analysis, "sink_mass");
    }
    // Edit lists alternate fastest: item 2k is entry k unedited, 2k+1 the same entry ablated.
    EXPECT_EQ(r.items[6].entry, 3);
    EXPECT_EQ(r.items[6].edits, "none");
    EXPECT_EQ(r.items[7].edits, "ablate_l1h0");
    EXPECT_EQ(r.experimentContent, readFile(s_exp));
    EXPECT_EQ(r.experimentSha256.size(), 64u);
    ASSERT_EQ(r.modelFingerprints.size(), 1u);
    EXPECT_FALSE(r.modelFingerprints[0].empty());
    // Aggregates: one mean table per edit list and analysis.
    EXPECT_EQ(r.aggregates.size(), 4u);
    const auto summary = nlohmann::json::parse(readFile(s_dir->file("r.json")));
    EXPECT_EQ(summary["items_done"], 20);
    EXPECT_EQ(summary["items_failed"], 0);
    EXPECT_TRUE(fs::exists(s_dir->file("r.csv")));
    // One JSON line per event: start, 20 items, done.
    std::istringstream lines(s_result->out);
    int items = 0;
    for (std::string line; std::getline(lines, line);)
        items += nlohmann::json::parse(line)["event"] == "item";
    EXPECT_EQ(items, 20);
}

TEST_F(BatchRun, UneditedItemScoresMatchTheScoreCommandOnThatPrompt) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    std::ifstream in(needleFile());
    std::string line;
    for (int i = 0; i <= 3; ++i)
        std::getline(in, line);
    TempDir dir;
    const auto scored = cli({"score", "--model", demoModel(), "--metric", "sink_mass", "--data",
                             dir.write("one.jsonl", line + "\n"), "--json", "--quiet"});
    ASSERT_EQ(scored.exitCode, 0) << scored.err;
    const auto expected = jsonOf(scored)["scores"];
    const auto r = app::readBatchResults(s_dir->file("r.h5"));
    const auto& t = table(r.items[6], "sink_mass");  // entry 3, unedited
    ASSERT_EQ(t.rows, 4);
    for (int l = 0; l < t.rows; ++l)
        for (int h = 0; h < t.cols; ++h)
            EXPECT_FLOAT_EQ(t.values[static_cast<size_t>(l * t.cols + h)],
                            expected[l][h].get<float>());
}

TEST_F(BatchRun, TheEditListAppliesToTheMetricsForwards) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    const auto r = app::readBatchResults(s_dir->file("r.h5"));
    const auto& plain = table(r.items[0], "sink_mass");
    const auto& ablated = table(r.items[1], "sink_mass");
    // Zeroing L1H0's output cannot change the maps of layers 0 and 1, only what comes after.
    const size_t upToLayer1 = static_cast<size_t>(2 * plain.cols);
    for (size_t i = 0; i < upToLayer1; ++i)
        EXPECT_EQ(plain.values[i], ablated.values[i]);
    bool later = false;
    for (size_t i = upToLayer1; i < plain.values.size(); ++i)
        later |= plain.values[i] != ablated.values[i];
    EXPECT_TRUE(later);
}

TEST_F(BatchRun, SigkillMidRunThenResumeGivesTheSameTables) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    TempDir dir;
    const std::string exp = dir.write("exp.yaml", readFile(s_exp));
    ::setenv("ATTNSCOPE_BATCH_KILL_AFTER", "7", 1);
    const auto killed = batch(exp, dir.file("r.h5"));
    ::unsetenv("ATTNSCOPE_BATCH_KILL_AFTER");
    ASSERT_EQ(killed.exitCode, -SIGKILL) << killed.err;
    // Committed to the journal beside the results file, which is written once, at the end.
    EXPECT_FALSE(fs::exists(dir.file("r.h5")));
    const auto committed = app::committedItems(dir.file("r.h5"));
    EXPECT_TRUE(committed.problems.empty());
    ASSERT_EQ(committed.items.size(), 7u);
    const auto finished = app::readBatchResults(s_dir->file("r.h5"));
    for (size_t i = 0; i < committed.items.size(); ++i)
        EXPECT_TRUE(committed.items[i] == finished.items[i]) << committed.items[i].key;

    const auto resumed = batch(exp, dir.file("r.h5"), {"--resume"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    std::istringstream lines(resumed.out);
    std::string first;
    std::getline(lines, first);
    EXPECT_EQ(nlohmann::json::parse(first)["resumed"], 7);
    expectSameResults(*s_dir, dir);
}

// A kill mid-append leaves a torn last record; a bad disk, a corrupt one. Either way --resume
// says so, drops that record, reruns its item and ends with the uninterrupted run's tables.
TEST_F(BatchRun, ResumeDropsATornOrCorruptJournalTailWithAClearMessage) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    struct Damage {
        const char* name;
        std::function<void(std::string&)> apply;
        const char* why;
    };
    const std::vector<Damage> damages = {
        {"torn", [](std::string& bytes) { bytes.resize(bytes.size() - 5); }, "is cut short"},
        {"corrupt", [](std::string& bytes) { bytes[bytes.size() - 3] ^= 0x20; },
         "fails its CRC-32 checksum"},
    };
    for (const Damage& damage : damages) {
        SCOPED_TRACE(damage.name);
        TempDir dir;
        const std::string exp = dir.write("exp.yaml", readFile(s_exp));
        ::setenv("ATTNSCOPE_BATCH_KILL_AFTER", "7", 1);
        const auto killed = batch(exp, dir.file("r.h5"));
        ::unsetenv("ATTNSCOPE_BATCH_KILL_AFTER");
        ASSERT_EQ(killed.exitCode, -SIGKILL) << killed.err;
        const fs::path journal = dir.file(".r.h5.rank-0.journal");
        std::string bytes = readFile(journal);
        damage.apply(bytes);
        std::ofstream(journal, std::ios::binary | std::ios::trunc) << bytes;

        const auto damaged = app::committedItems(dir.file("r.h5"));
        EXPECT_EQ(damaged.items.size(), 6u);
        ASSERT_EQ(damaged.problems.size(), 1u);
        const auto resumed = batch(exp, dir.file("r.h5"), {"--resume"});
        ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
        for (const std::string& part : {journal.string() + ": the record at byte ",
                                        std::string(damage.why), std::string("runs again")})
            EXPECT_NE(resumed.err.find(part), std::string::npos)
                << "'" << part << "' not in " << resumed.err;
        std::istringstream lines(resumed.out);
        std::string first;
        std::getline(lines, first);
        EXPECT_EQ(nlohmann::json::parse(first)["resumed"], 6);
        expectSameResults(*s_dir, dir);
        EXPECT_FALSE(fs::exists(journal));
    }
}

// Not a journal at all, or an intact record that is not an item: refused, naming the file.
TEST_F(BatchRun, ResumeRefusesAJournalThatIsNotOne) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    TempDir dir;
    const std::string exp = dir.write("exp.yaml", readFile(s_exp));
    const std::string journal = dir.write(".r.h5.rank-0.journal", "not a journal\n");
    const auto r = batch(exp, dir.file("r.h5"), {"--resume"});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find(journal + ": not an AttnScope batch journal"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.file("r.h5")));
}

TEST_F(BatchRun, MpirunWithTwoRanksGivesTheSameTables) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    const fs::path mpirun = "/usr/bin/mpirun";
    if (!fs::exists(mpirun)) GTEST_SKIP() << "mpirun is not installed (scripts/install-deps.sh)";
    TempDir dir;
    const auto r = runProcess({mpirun.string(), "--allow-run-as-root", "--oversubscribe", "-n", "2",
                               ATTNSCOPE_CLI, "batch", s_exp, "--out", dir.file("r.h5"),
                               "--progress=json", "--threads", "1"});
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
    // Both ranks ran items.
    EXPECT_NE(r.out.find("\"rank\":1"), std::string::npos) << r.out;
    expectSameResults(*s_dir, dir);
    // The per-rank files are merged away.
    for (const auto& entry : fs::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".r.h5.rank-"), std::string::npos)
            << entry.path();
}

TEST_F(BatchRun, ResumeRefusesAChangedExperimentNamingWhatChanged) {
    ASSERT_EQ(s_result->exitCode, 0) << s_result->err;
    TempDir dir;
    fs::copy_file(s_dir->file("r.h5"), dir.file("r.h5"));
    const auto before = readFile(dir.file("r.h5"));
    const std::string changed = dir.write("exp.yaml", experiment("  - metric: retrieval_score\n"
                                                                 "  - metric: sink_mass\n"
                                                                 "    params: {start_size: 2}\n"));
    const auto r = batch(changed, dir.file("r.h5"), {"--resume"});
    EXPECT_EQ(r.exitCode, 3);
    EXPECT_NE(r.err.find("the experiment changed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("analyses"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("edits"), std::string::npos) << r.err;
    EXPECT_EQ(readFile(dir.file("r.h5")), before);
}

struct Malformed {
    const char* name;
    std::string text;
    int exitCode;
    std::vector<std::string> messageParts;
};

TEST(BatchMalformed, EachGivesAClearMessageANonZeroExitAndWritesNothing) {
    TempDir dir;
    const std::vector<Malformed> cases = {
        {"syntax",
         "name: x\nmodels: [" + demoModel() + "\nanalyses: []\n",
         3,
         {"exp.yaml:", "syntax error"}},
        {"unknown metric",
         experiment("  - metric: sink_mas\n"),
         3,
         {"exp.yaml:10", "analyses[0].metric", "sink_mass", "retrieval_score"}},
        {"wrong parameter type",
         experiment("  - metric: sink_mass\n    params: {start_size: four}\n"),
         3,
         {"exp.yaml:11", "analyses[0].params.start_size", "expected an integer", "four"}},
        {"unknown parameter",
         experiment("  - metric: sink_mass\n    params: {window: 2}\n"),
         3,
         {"exp.yaml:11", "analyses[0].params.window", "unknown key", "start_size"}},
        {"missing dataset",
         "models: [" + demoModel() + "]\ndatasets: [" + dir.file("absent.jsonl") +
             "]\nanalyses:\n  - metric: sink_mass\n",
         4,
         {"absent.jsonl", "not found"}},
        {"model that does not load",
         "models: [" + dir.path().string() + "]\ndatasets: [" + needleFile() +
             "]\nanalyses:\n  - metric: sink_mass\n",
         4,
         {"models[0]", dir.path().string(), "does not load"}},
        {"bad edit list",
         experiment("  - metric: sink_mass\n",
                    "  broken: [{kind: zero_ablation, layer: two, head: 0}]\n"),
         3,
         {"exp.yaml:", "edits.broken", "layer"}},
    };
    for (const Malformed& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string exp = dir.write("exp.yaml", c.text);
        const auto r = batch(exp, dir.file("out.h5"));
        EXPECT_EQ(r.exitCode, c.exitCode) << r.err;
        for (const auto& part : c.messageParts)
            EXPECT_NE(r.err.find(part), std::string::npos) << "'" << part << "' not in " << r.err;
        for (const char* name : {"out.h5", "out.csv", "out.json"})
            EXPECT_FALSE(fs::exists(dir.file(name))) << name;
    }
}

TEST(BatchItems, FailedItemsAreRecordedWithTheirErrorAndTheRestGoOn) {
    TempDir dir;
    // A patch edit needs a corrupted run of each prompt: a metric refuses it, item by item.
    std::string text =
        experiment("  - metric: sink_mass\n", "  patched: [{kind: patch, layer: 0, head: 0}]\n");
    text.replace(text.find("limit: 10"), 9, "limit: 2");
    const auto r = batch(dir.write("exp.yaml", text), dir.file("r.h5"));
    EXPECT_EQ(r.exitCode, 5) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 6u);
    for (const auto& item : results.items) {
        if (item.edits == "patched") {
            EXPECT_EQ(item.status, "failed");
            EXPECT_NE(item.error.find("patch"), std::string::npos) << item.error;
            EXPECT_TRUE(item.tables.empty());
        } else {
            EXPECT_EQ(item.status, "ok") << item.error;
        }
    }
    EXPECT_NE(r.out.find("\"status\":\"failed\""), std::string::npos);
}

TEST(BatchItems, LogitLensAndAblationCurveAnalysesWriteTheirTables) {
    TempDir dir;
    std::string text = experiment(
        "  - metric: sink_mass\n"
        "  - analysis: logit_lens\n"
        "  - analysis: ablation_curve\n"
        "    params: {score: sink_mass, max_heads: 3, random_orders: 2}\n");
    text.replace(text.find("limit: 10"), 9, "limit: 1");
    const auto r = batch(dir.write("exp.yaml", text), dir.file("r.h5"));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto results = app::readBatchResults(dir.file("r.h5"));
    ASSERT_EQ(results.items.size(), 2u);
    const auto& lens = table(results.items[0], "logit_lens");
    EXPECT_EQ(lens.shape, "per_layer");
    EXPECT_EQ(lens.rows, 4);
    EXPECT_EQ(lens.columns, (std::vector<std::string>{"edited", "baseline"}));
    // Unedited: the edited and the baseline run are the same run.
    for (int l = 0; l < lens.rows; ++l)
        EXPECT_EQ(lens.values[static_cast<size_t>(2 * l)],
                  lens.values[static_cast<size_t>(2 * l + 1)]);
    const auto& curve = table(results.items[0], "ablation_curve");
    EXPECT_EQ(curve.shape, "curve");
    EXPECT_EQ(curve.rows, 4);  // 0..3 heads removed
    EXPECT_EQ(curve.values[0], 0.0f);
    EXPECT_EQ(curve.values[4], 1.0f);
}

}  // namespace
}  // namespace attnscope::test
