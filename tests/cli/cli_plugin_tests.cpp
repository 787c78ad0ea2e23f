// attnscope-cli with plugin scripts: plugins list, score --metric plugin:NAME, and exit code 6
// with the plugin, file and line on stderr for a failing plugin.
#include <cstdlib>

#include "cli_test_support.h"

namespace attnscope::test {
namespace {

// attnscope-cli with the failure-case test plugins on ATTNSCOPE_PLUGIN_PATH.
ProcessResult cliWithTestPlugins(std::vector<std::string> args) {
    args.insert(args.begin(), ATTNSCOPE_CLI);
    return runWithTestPlugins(args);
}

TEST(CliPlugins, ListShowsLoadedAndFailedPluginsWithReasons) {
    const ProcessResult r = cliWithTestPlugins({"plugins", "list", "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = jsonOf(r);
    std::map<std::string, nlohmann::json> byName;
    for (const auto& p : j["plugins"])
        byName[p["name"]] = p;
    ASSERT_TRUE(byName.count("head_detector"));
    EXPECT_TRUE(byName["head_detector"]["loaded"].get<bool>());
    EXPECT_EQ(byName["head_detector"]["metrics"],
              (std::vector<std::string>{"plugin:previous_token", "plugin:duplicate_token",
                                        "plugin:induction"}));
    EXPECT_EQ(byName["attention_temperature"]["edits"],
              (std::vector<std::string>{"plugin:temperature"}));
    ASSERT_TRUE(byName.count("syntax_error"));
    EXPECT_FALSE(byName["syntax_error"]["loaded"].get<bool>());
    EXPECT_NE(byName["syntax_error"]["error"].get<std::string>().find(
                  testPluginDir() + "/syntax_error.py:8): SyntaxError"),
              std::string::npos);
    EXPECT_EQ(j["folders"].back(), testPluginDir());
    EXPECT_EQ(j["python"]["executable"].get<std::string>().rfind("/usr/bin/python3", 0), 0u);

    const ProcessResult text = cliWithTestPlugins({"plugins", "list"});
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_NE(text.out.find("FAILED  syntax_error"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("metric plugin:induction"), std::string::npos) << text.out;
}

TEST(CliPlugins, PluginMetricScoresLikeABuiltIn) {
    const ProcessResult r =
        cliWithTestPlugins({"score", "--model", demoModel(), "--metric", "plugin:attention_entropy",
                            "--param", "normalize=true", "--json", "--quiet"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto plugin = jsonOf(r);
    // Normalised, it is the built-in row_entropy: the same numbers from two implementations.
    const ProcessResult builtin = runProcess({ATTNSCOPE_CLI, "score", "--model", demoModel(),
                                              "--metric", "row_entropy", "--json", "--quiet"});
    ASSERT_EQ(builtin.exitCode, 0) << builtin.err;
    const auto expected = jsonOf(builtin);
    ASSERT_TRUE(plugin.contains("scores")) << plugin.dump();
    const auto a = plugin["scores"], b = expected["scores"];
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t l = 0; l < a.size(); ++l)
        for (std::size_t h = 0; h < a[l].size(); ++h)
            EXPECT_NEAR(a[l][h].get<double>(), b[l][h].get<double>(), 1e-6);
    EXPECT_EQ(plugin["params"]["normalize"]["value"], true);
}

TEST(CliPlugins, FailingPluginExitsWithCodeSixNamingFileAndLine) {
    ProcessResult r = cliWithTestPlugins(
        {"score", "--model", demoModel(), "--metric", "plugin:raises", "--quiet"});
    EXPECT_EQ(r.exitCode, 6);
    EXPECT_NE(r.err.find("plugin raises (" + testPluginDir() + "/raises.py:10): KeyError"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Traceback"), std::string::npos) << r.err;

    r = cliWithTestPlugins(
        {"score", "--model", demoModel(), "--metric", "plugin:plugin_error", "--quiet"});
    EXPECT_EQ(r.exitCode, 6);
    EXPECT_EQ(r.err, "error: plugin plugin_error: this metric needs at least 1000 tokens\n");

    r = cliWithTestPlugins(
        {"score", "--model", demoModel(), "--metric", "plugin:syntax_error", "--quiet"});
    EXPECT_EQ(r.exitCode, 6);
    EXPECT_NE(r.err.find("unknown plugin metric 'plugin:syntax_error'"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("not loaded: plugin syntax_error"), std::string::npos) << r.err;

    r = cliWithTestPlugins({"score", "--model", demoModel(), "--metric", "plugin:inspect_context",
                            "--param", "k=0", "--quiet"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("parameter 'k' = 0 is outside [1, 10]"), std::string::npos) << r.err;
}

TEST(CliPlugins, CtrlCStopsAPluginThatNeverChecks) {
    // The plugin raises SIGINT itself: the CLI's handler (the interpreter installs none) sets
    // the cancel token, and the host interrupts the loop asynchronously. A cancelled score
    // publishes nothing: no results file, no CSV, no table.
    const TempDir dir;
    const ProcessResult r = cliWithTestPlugins(
        {"score", "--model", demoModel(), "--metric", "plugin:interrupts_itself", "--quiet",
         "--json", "--out", dir.file("r.h5"), "--csv", dir.file("r.csv")});
    EXPECT_EQ(r.exitCode, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(std::filesystem::exists(dir.file("r.h5")));
    EXPECT_FALSE(std::filesystem::exists(dir.file("r.csv")));
}

TEST(CliPlugins, HelpNamesThePluginFoldersAndTheExitCode) {
    const ProcessResult r = runProcess({ATTNSCOPE_CLI, "--help"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("/AttnScope/AttnScope/plugins"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("6 plugin error"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace attnscope::test
