// `run` with a plugin attention edit in the edit vocabulary (plugin_edit, issue 16): from an
// --edits file and from --plugin-edit, the captured pattern of the edited head is the plugin's
// function of the unedited one (computed here independently), and an unknown edit or a bad
// parameter fails naming the file and the key.
#include <cmath>

#include "attnscope/store/capture_reader.h"
#include "cli_test_support.h"

namespace attnscope::test {
namespace {

constexpr int kLayer = 1, kHead = 2;
constexpr double kTemperature = 3.0;

// `run` capturing layer kLayer's pattern into `out`, with extra arguments.
ProcessResult runCapturing(const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args{"run",
                                  "--model",
                                  demoModel(),
                                  "--prompt",
                                  kDemoPrompt,
                                  "--capture",
                                  "blocks." + std::to_string(kLayer) + ".attn.hook_pattern",
                                  "--out",
                                  out,
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli(args);
}

std::vector<float> headPattern(const std::string& file, int head) {
    return store::CaptureReader(file).readHeadPattern(0, kLayer, head);
}

// The temperature edit's definition (plugins/scripts/attention_temperature.py) on one
// row-major [n, n] map: each row p becomes p^(1/T) renormalised; zeros stay zero.
std::vector<double> withTemperature(const std::vector<float>& map, double t) {
    const auto n = static_cast<size_t>(std::lround(std::sqrt(double(map.size()))));
    std::vector<double> out(map.size(), 0.0);
    for (size_t q = 0; q < n; ++q) {
        double sum = 0.0;
        for (size_t k = 0; k < n; ++k)
            if (map[q * n + k] > 0) sum += out[q * n + k] = std::pow(double(map[q * n + k]), 1 / t);
        for (size_t k = 0; k < n; ++k)
            out[q * n + k] /= sum;
    }
    return out;
}

TEST(CliPluginEdit, EditsFileAppliesThePluginsPatternFunctionToTheHead) {
    TempDir dir;
    const std::string plainFile = (dir.path() / "plain.h5").string();
    const std::string editedFile = (dir.path() / "edited.h5").string();
    const std::string flagFile = (dir.path() / "flag.h5").string();
    const std::string edits = dir.write("edits.json", R"([{"kind": "plugin_edit",
        "plugin": "temperature", "layer": 1, "head": 2, "params": {"temperature": 3.0}}])");
    const ProcessResult plain = runCapturing(plainFile, {});
    const ProcessResult edited = runCapturing(editedFile, {"--edits", edits});
    const ProcessResult flag =
        runCapturing(flagFile, {"--plugin-edit", "plugin:temperature:1.2:temperature=3"});
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    ASSERT_EQ(edited.exitCode, 0) << edited.err;
    ASSERT_EQ(flag.exitCode, 0) << flag.err;

    const std::vector<float> before = headPattern(plainFile, kHead);
    const std::vector<float> after = headPattern(editedFile, kHead);
    const std::vector<double> expected = withTemperature(before, kTemperature);
    ASSERT_EQ(after.size(), expected.size());
    double largestChange = 0.0;
    for (size_t i = 0; i < after.size(); ++i) {
        EXPECT_NEAR(after[i], expected[i], 1e-5) << "entry " << i;
        largestChange = std::max(largestChange, std::abs(double(after[i]) - before[i]));
    }
    EXPECT_GT(largestChange, 0.01);  // the edit did something
    for (int h : {0, 1, 3})          // the other heads of the layer are untouched
        EXPECT_EQ(headPattern(editedFile, h), headPattern(plainFile, h)) << "head " << h;
    // The flag is the same edit: the same pattern and the same answer.
    EXPECT_EQ(headPattern(flagFile, kHead), after);
    EXPECT_EQ(jsonOf(flag)["top_k"], jsonOf(edited)["top_k"]);
    EXPECT_NE(jsonOf(edited)["top_k"], jsonOf(plain)["top_k"]);
}

TEST(CliPluginEdit, DisabledOrNeutralPluginEditsLeaveTheRunAsItIs) {
    TempDir dir;
    const std::string edits = dir.write("edits.json", R"([
        {"kind": "plugin_edit", "plugin": "plugin:temperature", "layer": 1, "head": 2,
         "params": {"temperature": 3}, "enabled": false},
        {"kind": "plugin_edit", "plugin": "temperature", "layer": 0, "head": 1,
         "params": {"temperature": "1"}}])");
    const std::vector<std::string> base{"run",      "--model",   demoModel(),
                                        "--prompt", kDemoPrompt, "--json"};
    std::vector<std::string> withEdits = base;
    withEdits.insert(withEdits.end(), {"--edits", edits});
    const ProcessResult edited = cli(withEdits);
    const ProcessResult plain = cli(base);
    ASSERT_EQ(edited.exitCode, 0) << edited.err;
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    // T = 1 maps every row to itself (up to rounding); the disabled edit is skipped.
    const auto a = jsonOf(edited)["top_k"], b = jsonOf(plain)["top_k"];
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i]["id"], b[i]["id"]);
        EXPECT_NEAR(a[i]["prob"].get<double>(), b[i]["prob"].get<double>(), 1e-5);
    }
}

TEST(CliPluginEdit, SessionsKeepThePluginEdit) {
    TempDir dir;
    const std::string session = (dir.path() / "s.h5").string();
    const ProcessResult saved =
        cli({"session", "save", session, "--model", demoModel(), "--prompt", kDemoPrompt,
             "--plugin-edit", "temperature:1.2:temperature=3", "--quiet"});
    ASSERT_EQ(saved.exitCode, 0) << saved.err;
    const ProcessResult shown = cli({"session", "show", session, "--json"});
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    const auto edits = jsonOf(shown)["interventions"];
    ASSERT_EQ(edits.size(), 1u) << edits.dump();
    EXPECT_EQ(edits[0]["kind"], "plugin_edit");
    EXPECT_EQ(edits[0]["plugin"], "temperature");
    EXPECT_EQ(edits[0]["layer"], kLayer);
    EXPECT_EQ(edits[0]["head"], kHead);
    EXPECT_EQ(edits[0]["params"]["temperature"], "3");
    const ProcessResult text = cli({"session", "show", session});
    EXPECT_NE(text.out.find("plugin_edit L1 H2 temperature"), std::string::npos) << text.out;
}

struct BadPluginEdit {
    const char* name;
    const char* content;
    std::vector<std::string> messageParts;  // besides the file's path
};

void PrintTo(const BadPluginEdit& b, std::ostream* os) {
    *os << b.name;
}

class CliBadPluginEdit : public ::testing::TestWithParam<BadPluginEdit> {};

TEST_P(CliBadPluginEdit, FailsNamingTheFileAndTheKey) {
    TempDir dir;
    const std::string path = dir.write("edits.json", GetParam().content);
    const ProcessResult r =
        cli({"run", "--model", demoModel(), "--prompt", kDemoPrompt, "--edits", path, "--json"});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    for (const std::string& part : GetParam().messageParts)
        EXPECT_NE(r.err.find(part), std::string::npos) << "missing '" << part << "' in:\n" << r.err;
    EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliBadPluginEdit,
    ::testing::Values(BadPluginEdit{"UnknownEdit",
                                    R"([{"kind": "plugin_edit", "plugin": "nonexistent", "layer": 0,
                          "head": 0}])",
                                    {"[0].plugin", "unknown plugin edit 'plugin:nonexistent'",
                                     "plugin:temperature"}},
                      BadPluginEdit{"ParameterOutOfRange",
                                    R"([{"kind": "plugin_edit", "plugin": "temperature", "layer": 0,
                          "head": 0, "params": {"temperature": 0}}])",
                                    {"[0].params", "parameter 'temperature'", "outside"}},
                      BadPluginEdit{"UnknownParameter",
                                    R"([{"kind": "plugin_edit", "plugin": "temperature", "layer": 0,
                          "head": 0, "params": {"temprature": 2}}])",
                                    {"[0].params", "unknown parameter 'temprature'"}},
                      BadPluginEdit{"ParameterNotAValue",
                                    R"([{"kind": "plugin_edit", "plugin": "temperature", "layer": 0,
                          "head": 0, "params": {"temperature": [2]}}])",
                                    {"[0].params.temperature", "expected a number"}},
                      BadPluginEdit{"MissingPluginName",
                                    R"([{"kind": "plugin_edit", "layer": 0, "head": 0}])",
                                    {"[0].plugin", "missing"}},
                      BadPluginEdit{"ParamsOnAnotherKind",
                                    R"([{"kind": "scale", "layer": 0, "head": 0, "param": 2,
                          "params": {"x": 1}}])",
                                    {"[0].params", "only plugin_edit"}},
                      BadPluginEdit{"HeadOutOfRange",
                                    R"([{"kind": "plugin_edit", "plugin": "temperature", "layer": 0,
                          "head": 99}])",
                                    {"[0].head", "out of range"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CliPluginEdit, MalformedFlagIsAUsageError) {
    const ProcessResult r = cli(
        {"run", "--model", demoModel(), "--prompt", kDemoPrompt, "--plugin-edit", "temperature"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--plugin-edit expects NAME:LAYER.HEAD"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace attnscope::test
