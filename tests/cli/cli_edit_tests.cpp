// `run` with the shared edit vocabulary: flags and --edits files give the same run, and
// malformed edit files fail with the file, the key and the problem.
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

using nlohmann::json;

std::vector<std::string> runArgs(std::vector<std::string> extra) {
    std::vector<std::string> args{"run", "--model", demoModel(), "--prompt", kDemoPrompt, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(CliRun, JsonSchemaHoldsTokensAndTopKInDescendingProbability) {
    const ProcessResult r = cli(runArgs({"--top-k", "7"}));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = jsonOf(r);
    ASSERT_TRUE(j.contains("input_ids") && j.contains("tokens") && j.contains("top_k"));
    EXPECT_EQ(j["input_ids"].size(), j["tokens"].size());
    EXPECT_GT(j["input_ids"].size(), 10u);
    ASSERT_EQ(j["top_k"].size(), 7u);
    double previous = 1.0, sum = 0.0;
    for (const json& t : j["top_k"]) {
        for (const char* key : {"id", "token", "prob", "logit"})
            EXPECT_TRUE(t.contains(key)) << key;
        const double p = t["prob"].get<double>();
        EXPECT_LE(p, previous);
        previous = p;
        sum += p;
    }
    EXPECT_LE(sum, 1.0 + 1e-9);
}

TEST(CliRun, EditsFileGivesTheSameRunAsTheFlags) {
    TempDir dir;
    const std::string edits = dir.write("edits.json", R"([
        {"kind": "zero_ablation", "layer": 2, "head": 0},
        {"kind": "zero_ablation", "layer": 2, "head": 1},
        {"kind": "scale", "layer": 1, "head": 3, "param": 0.25}
    ])");
    // The session document form: an object whose "interventions" member is the list.
    const std::string session = dir.write("session.json", R"({"format": "attnscope-session",
        "interventions": [{"kind": "zero_ablation", "layer": 2, "head": 0, "enabled": true},
                          {"kind": "zero_ablation", "layer": 2, "head": 1},
                          {"kind": "scale", "layer": 1, "head": 3, "param": 0.25}]})");
    const ProcessResult flags = cli(runArgs({"--ablate", "2.0,1", "--scale", "1.3=0.25"}));
    const ProcessResult file = cli(runArgs({"--edits", edits}));
    const ProcessResult doc = cli(runArgs({"--edits", session}));
    const ProcessResult plain = cli(runArgs({}));
    ASSERT_EQ(flags.exitCode, 0) << flags.err;
    ASSERT_EQ(file.exitCode, 0) << file.err;
    ASSERT_EQ(doc.exitCode, 0) << doc.err;
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    EXPECT_EQ(jsonOf(flags)["top_k"], jsonOf(file)["top_k"]);
    EXPECT_EQ(jsonOf(flags)["top_k"], jsonOf(doc)["top_k"]);
    // The edits change the model's output at all.
    EXPECT_NE(jsonOf(flags)["top_k"], jsonOf(plain)["top_k"]);
}

TEST(CliRun, DisabledEditsDoNothing) {
    TempDir dir;
    const std::string edits = dir.write(
        "off.json", R"([{"kind": "zero_ablation", "layer": 2, "head": 0, "enabled": false}])");
    const ProcessResult off = cli(runArgs({"--edits", edits}));
    const ProcessResult plain = cli(runArgs({}));
    ASSERT_EQ(off.exitCode, 0) << off.err;
    EXPECT_EQ(jsonOf(off)["top_k"], jsonOf(plain)["top_k"]);
}

struct BadEdits {
    const char* name;
    const char* content;
    std::vector<std::string> messageParts;  // besides the file's path
};

void PrintTo(const BadEdits& b, std::ostream* os) {
    *os << b.name;
}

class CliBadEdits : public ::testing::TestWithParam<BadEdits> {};

TEST_P(CliBadEdits, FailWithTheFileTheKeyAndTheProblem) {
    TempDir dir;
    const std::string path = dir.write("edits.json", GetParam().content);
    const ProcessResult r = cli(runArgs({"--edits", path}));
    EXPECT_NE(r.exitCode, 0);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    for (const std::string& part : GetParam().messageParts)
        EXPECT_NE(r.err.find(part), std::string::npos) << "missing '" << part << "' in: " << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Files, CliBadEdits,
    ::testing::Values(
        BadEdits{"BadJson",
                 "[{\"kind\": \"scale\",\n  \"layer\": 1,, \"head\": 0}]",
                 {"invalid JSON", "line 2"}},
        BadEdits{"UnknownIntervention",
                 R"([{"kind": "explode", "layer": 0, "head": 0}])",
                 {"[0].kind", "unknown intervention 'explode'", "zero_ablation"}},
        BadEdits{"HeadOutOfRange",
                 R"([{"kind": "zero_ablation", "layer": 0, "head": 0},
                     {"kind": "zero_ablation", "layer": 1, "head": 8}])",
                 {"[1].head", "8 is out of range", "8 heads"}},
        BadEdits{"LayerOutOfRange",
                 R"([{"kind": "scale", "layer": 4, "head": 0, "param": 2}])",
                 {"[0].layer", "4 is out of range", "4 layers"}},
        BadEdits{"WrongType",
                 R"([{"kind": "scale", "layer": "two", "head": 0}])",
                 {"[0].layer", "expected an integer", "\"two\""}},
        BadEdits{"WrongParamType",
                 R"([{"kind": "scale", "layer": 1, "head": 0, "param": "x"}])",
                 {"[0].param", "expected a number"}},
        BadEdits{"MissingHead", R"([{"kind": "scale", "layer": 1}])", {"[0].head", "missing"}},
        BadEdits{"UnknownKey",
                 R"([{"kind": "scale", "layer": 1, "head": 0, "factor": 2}])",
                 {"[0].factor", "unknown key"}},
        BadEdits{"NotAList", R"({"edits": []})", {"interventions", "missing"}},
        BadEdits{"Empty", "", {"invalid JSON"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CliRun, MissingEditsFileIsNamed) {
    const ProcessResult r = cli(runArgs({"--edits", "/nonexistent/edits.json"}));
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find("/nonexistent/edits.json"), std::string::npos) << r.err;
}

TEST(CliRun, MalformedFlagsAreUsageErrors) {
    for (const auto& bad : std::vector<std::vector<std::string>>{
             {"--ablate", "two.0"}, {"--scale", "1.0"}, {"--scale", "1.0=x"}, {"--ablate", "1"}}) {
        const ProcessResult r = cli(runArgs(bad));
        EXPECT_EQ(r.exitCode, 2) << bad[0] << " " << bad[1] << ": " << r.err;
        EXPECT_NE(r.err.find(bad[0]), std::string::npos) << r.err;
    }
    const ProcessResult range = cli(runArgs({"--ablate", "9.0"}));
    EXPECT_EQ(range.exitCode, 1);
    EXPECT_NE(range.err.find("9 is out of range"), std::string::npos) << range.err;
}

TEST(CliRun, PatchEditsNeedACorruptedPromptOfEqualLength) {
    TempDir dir;
    const std::string edits =
        dir.write("patch.json", R"([{"kind": "patch", "layer": 1, "head": 2}])");
    const ProcessResult none = cli(runArgs({"--edits", edits}));
    EXPECT_EQ(none.exitCode, 1);
    EXPECT_NE(none.err.find("corrupted"), std::string::npos) << none.err;
    const ProcessResult shorter = cli(runArgs({"--edits", edits, "--corrupted", "alice apple"}));
    EXPECT_EQ(shorter.exitCode, 1);
    EXPECT_NE(shorter.err.find("as many tokens"), std::string::npos) << shorter.err;
    // Same length: the patch takes effect.
    const std::string corrupted = "bob apple bob river carol stone . carol stone alice apple bob";
    const ProcessResult patched = cli(runArgs({"--edits", edits, "--corrupted", corrupted}));
    ASSERT_EQ(patched.exitCode, 0) << patched.err;
    EXPECT_NE(jsonOf(patched)["top_k"], jsonOf(cli(runArgs({})))["top_k"]);
}

}  // namespace
}  // namespace attnscope::test
