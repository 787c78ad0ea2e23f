// Session files from the command line: save, show and export round trips against `run`, bad
// files, and a save killed mid-write that leaves the previous session intact.
#include <sys/inotify.h>

#include <algorithm>

#include "attnscope/store/capture_reader.h"
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using nlohmann::json;

std::vector<std::string> saveArgs(const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> args{"session",   "save",      file, "--model",
                                  demoModel(), "--threads", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// One head's map as `run --capture` writes it to a capture file.
std::vector<float> capturedMap(int layer, int head, std::vector<std::string> edits) {
    const TempDir dir;
    const std::string out = dir.file("capture.h5");
    std::vector<std::string> args{"run",
                                  "--model",
                                  demoModel(),
                                  "--prompt",
                                  kDemoPrompt,
                                  "--capture",
                                  "blocks.*.attn.hook_pattern",
                                  "--out",
                                  out};
    args.insert(args.end(), edits.begin(), edits.end());
    const ProcessResult r = cli(args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return store::CaptureReader(out).readHeadPattern(0, layer, head);
}

// Entries [head] of runs.json's [layer][head][query][key] as a flat row-major map.
std::vector<float> flatMap(const json& run, int layer, int head) {
    std::vector<float> out;
    for (const json& row : run[layer][head])
        for (const json& v : row)
            out.push_back(v.get<float>());
    return out;
}

TEST(CliSession, SaveShowAndExportRoundTripAgainstRun) {
    TempDir dir;
    const std::string file = dir.file("s.h5");
    const ProcessResult saved =
        cli(saveArgs(file, {"--prompt", kDemoPrompt, "--ablate", "2.0", "--scale", "1.3=0.5",
                            "--metric", "sink_mass", "--quiet"}));
    ASSERT_EQ(saved.exitCode, 0) << saved.err;

    const ProcessResult shown = cli({"session", "show", file, "--json"});
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    const json s = jsonOf(shown);
    EXPECT_EQ(s["prompt"], kDemoPrompt);
    ASSERT_EQ(s["interventions"].size(), 2u);
    EXPECT_EQ(s["interventions"][0]["kind"], "zero_ablation");
    EXPECT_EQ(s["interventions"][1]["kind"], "scale");
    EXPECT_EQ(s["interventions"][1]["param"], 0.5);
    ASSERT_EQ(s["results"].size(), 1u);
    EXPECT_EQ(s["results"][0]["metric"], "sink_mass");
    EXPECT_EQ(s["atlas_score"], "sink_mass");
    const ProcessResult run =
        cli({"run", "--model", demoModel(), "--prompt", kDemoPrompt, "--json"});
    const json ids = jsonOf(run)["input_ids"];
    ASSERT_EQ(s["run"]["tokens"].size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(s["run"]["tokens"][i]["id"], ids[i]);
    EXPECT_EQ(s["run"]["layers"], 4);
    EXPECT_EQ(s["run"]["heads"], 8);

    const ProcessResult text = cli({"session", "show", file});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_NE(text.out.find("zero_ablation L2 H0"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("sink_mass"), std::string::npos) << text.out;

    const std::string out = (dir.path() / "export").string();
    const ProcessResult exported = cli({"session", "export", file, "--out", out});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    std::ifstream csv(out + "/result-sink_mass.csv");
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "layer,head,score");
    int rows = 0;
    while (std::getline(csv, line)) {
        const int l = line[0] - '0', h = line[2] - '0';
        const double v = std::stod(line.substr(4));
        EXPECT_NEAR(v, s["results"][0]["scores"][l][h].get<double>(), 1e-6) << line;
        ++rows;
    }
    EXPECT_EQ(rows, 32);

    // The saved maps equal what `run` captures, edited and unedited.
    std::ifstream runsFile(out + "/runs.json");
    const json runs = json::parse(runsFile);
    EXPECT_EQ(flatMap(runs["baseline"], 3, 5), capturedMap(3, 5, {}));
    EXPECT_EQ(flatMap(runs["edited"], 3, 5),
              capturedMap(3, 5, {"--ablate", "2.0", "--scale", "1.3=0.5"}));
    EXPECT_NE(flatMap(runs["edited"], 3, 5), flatMap(runs["baseline"], 3, 5));
}

TEST(CliSession, BadFilesFailWithOneLineNamingTheFile) {
    TempDir dir;
    const std::string notes = dir.write("notes.h5", "these are not HDF5 bytes\n");
    const ProcessResult r = cli({"session", "show", notes});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find(notes), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("HDF5-DIAG"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

    const ProcessResult missing = cli({"session", "show", dir.file("absent.h5")});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.err.find("absent.h5"), std::string::npos) << missing.err;

    // A capture file is HDF5 in our format but holds no session.
    const std::string capture = dir.file("capture.h5");
    ASSERT_EQ(cli({"run", "--model", demoModel(), "--prompt", kDemoPrompt, "--capture",
                   "blocks.0.attn.hook_pattern", "--out", capture})
                  .exitCode,
              0);
    const ProcessResult plain = cli({"session", "show", capture});
    EXPECT_EQ(plain.exitCode, 1);
    EXPECT_NE(plain.err.find("not an AttnScope session"), std::string::npos) << plain.err;

    const ProcessResult usage = cli({"session", "frobnicate", capture});
    EXPECT_EQ(usage.exitCode, 2);
    const ProcessResult noOut = cli({"session", "export", capture});
    EXPECT_NE(noOut.exitCode, 0);
}

// The save is killed while its temporary file is being written: the file under the final
// name still opens and is the previous session.
// Starts `args` (a session save to `dir`/s.h5) and SIGKILLs it as soon as its temporary file
// appears (inotify). True when the kill landed mid-save: the saver died of it and its
// temporary was never renamed over the final name.
bool killSaveWhenItStartsWriting(const TempDir& dir, std::vector<std::string> args) {
    const int watch = inotify_init1(IN_CLOEXEC);
    EXPECT_GE(watch, 0);
    EXPECT_GE(inotify_add_watch(watch, dir.path().c_str(), IN_CREATE), 0);
    args.insert(args.begin(), ATTNSCOPE_CLI);
    ChildProcess child(args);
    bool sawTemporary = false;
    alignas(inotify_event) char buffer[4096];
    while (!sawTemporary) {
        pollfd fd{watch, POLLIN, 0};
        if (poll(&fd, 1, 300000) != 1) break;  // a guard: the save never started writing
        const ssize_t n = read(watch, buffer, sizeof buffer);
        if (n <= 0) break;
        for (char* p = buffer; p < buffer + n;) {
            const auto* e = reinterpret_cast<const inotify_event*>(p);
            if (e->len > 0 && std::string(e->name).rfind(".s.h5.tmp-", 0) == 0) sawTemporary = true;
            p += sizeof(inotify_event) + e->len;
        }
    }
    close(watch);
    EXPECT_TRUE(sawTemporary) << "the save never created its temporary file";
    const pid_t pid = child.pid();
    kill(pid, SIGKILL);
    const int code = child.wait().exitCode;
    bool temporaryLeft = false;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        temporaryLeft = temporaryLeft || entry.path().filename().string().rfind(
                                             ".s.h5.tmp-" + std::to_string(pid) + "-", 0) == 0;
    EXPECT_TRUE(code == -SIGKILL || code == 0) << "the save failed on its own: " << code;
    return code == -SIGKILL && temporaryLeft;
}

// The save is killed while its temporary file is being written: the file under the final
// name still opens and is the previous session. A save that got to its rename before the kill
// landed (possible on a loaded machine) proves nothing, so that attempt is repeated.
TEST(CliSession, KilledSaveLeavesThePreviousSession) {
    TempDir dir;
    const std::string file = dir.file("s.h5");
    // 250 tokens: two runs of 4 x 8 x 250 x 250 maps, 16 MB to write and fsync.
    std::string ids = "1";
    for (int i = 1; i < 250; ++i)
        ids += "," + std::to_string(4 + (i * 37) % 290);
    int killedMidSave = 0;
    for (int attempt = 0; attempt < 5 && killedMidSave == 0; ++attempt) {
        ASSERT_EQ(cli(saveArgs(file, {"--prompt", kDemoPrompt})).exitCode, 0);
        if (!killSaveWhenItStartsWriting(dir, saveArgs(file, {"--ids", ids}))) continue;
        ++killedMidSave;
        const ProcessResult shown = cli({"session", "show", file, "--json"});
        ASSERT_EQ(shown.exitCode, 0) << shown.err;
        EXPECT_EQ(jsonOf(shown)["prompt"], kDemoPrompt);
    }
    EXPECT_EQ(killedMidSave, 1) << "every save finished before it could be killed";
}

}  // namespace
}  // namespace attnscope::test
