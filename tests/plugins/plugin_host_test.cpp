// The host itself: Debian's interpreter, read-only zero-copy views, what the context holds,
// reload after an edit without a restart, and where plugins are looked for.
#include <fstream>

#include "attnscope/capture/tokenizer.h"
#include "cli_process.h"
#include "plugin_test_support.h"
#include "temp_dir.h"

namespace attnscope::test {
namespace {

namespace fs = std::filesystem;

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

TEST(PluginHost, EmbeddedInterpreterIsDebiansPython3) {
    const auto info = plugins::PluginHost::instance().pythonInfo();
    // The same interpreter as a real process of Debian's /usr/bin/python3 reports.
    const ProcessResult real =
        runProcess({"/usr/bin/python3", "-c",
                    "import sys, os; print(os.path.realpath(sys.executable)); "
                    "print(sys.version.splitlines()[0])"});
    ASSERT_EQ(real.exitCode, 0) << real.err;
    const auto newline = real.out.find('\n');
    EXPECT_EQ(info.executable, real.out.substr(0, newline));
    EXPECT_EQ(info.version.substr(0, info.version.find('\n')),
              trimmed(real.out.substr(newline + 1)));
    EXPECT_EQ(info.executable, ATTNSCOPE_PYTHON_EXECUTABLE);
}

TEST(PluginHost, ContextGivesReadOnlyZeroCopyViewsTokensAndTypedParameters) {
    analysis::MetricRegistry registry;
    plugins::PluginHost::instance().load({testPluginsDir()}, registry);
    const auto opened = app::openModel(demoModelDir());
    const std::vector<int64_t> ids{1, 5, 6, 7, 5};
    std::vector<std::string> messages;
    const capture::Progress progress([&](double, const std::string& m) {
        if (!m.empty()) messages.push_back(m);
    });
    const auto r = runOn(registry, "plugin:inspect_context", opened, idsDataset(ids),
                         {{"k", "4"}, {"mode", "b"}}, progress);
    const auto& d = r.details["plugin_details"][0];
    EXPECT_EQ(d["write"], "refused");
    EXPECT_EQ(d["reenable"], "refused");
    EXPECT_EQ(d["base"], "PyCapsule");  // the capsule owning the tensor: no copy
    EXPECT_EQ(d["owndata"], false);
    EXPECT_EQ(d["dtype"], "float32");
    const int64_t heads = opened.model->config().nHeads, t = static_cast<int64_t>(ids.size());
    EXPECT_EQ(d["pattern_shape"], (std::vector<int64_t>{heads, t, t}));
    EXPECT_EQ(d["logits_shape"], (std::vector<int64_t>{t, opened.model->config().vocabSize}));
    EXPECT_EQ(d["tokens"], ids);
    ASSERT_EQ(d["token_strings"].size(), ids.size());
    EXPECT_EQ(d["token_strings"][1], opened.tokenizer->decode({5}));
    EXPECT_EQ(d["config"], opened.model->config().nLayers);
    EXPECT_EQ(d["params"],
              (nlohmann::json{{"k", 4}, {"scale", 0.5}, {"mode", "b"}, {"label", "x"}}));
    EXPECT_EQ(
        d["param_types"],
        (nlohmann::json{{"k", "int"}, {"scale", "float"}, {"mode", "str"}, {"label", "str"}}));
    // numpy is Debian's, not another Python's.
    EXPECT_EQ(d["numpy"].get<std::string>().rfind("/usr/lib/python3/dist-packages/numpy/", 0), 0u)
        << d["numpy"];
    // The view showed the captured value: the plugin's one score is pattern[0][1][0].
    const auto patterns = capturePatterns(*opened.model, ids);
    EXPECT_NEAR(r.scores.at(0, 0), patterns[0][0][1][0].item<double>(), 1e-7);
    EXPECT_TRUE(std::isnan(r.scores.at(1, 1)));  // NaN: not scored
    EXPECT_NE(std::find(messages.begin(), messages.end(), "[inspect_context] inspected"),
              messages.end());
}

void writeScript(const fs::path& file, double value) {
    std::ofstream out(file);
    out << "import numpy as np\n"
           "ATTNSCOPE_PLUGIN = {'name': 'editable', 'api_version': 1, 'metrics': [\n"
           "    {'name': 'editable', 'function': 'score', 'hooks': "
           "['blocks.*.attn.hook_pattern']}]}\n"
           "def score(ctx, params):\n"
           "    return np.full((ctx.n_layers, ctx.n_heads), "
        << value << ")\n";
}

TEST(PluginHost, EditAndReloadChangesTheResultWithoutRestart) {
    const TempDir dir;
    writeScript(dir.path() / "editable.py", 1.5);
    analysis::MetricRegistry registry;
    plugins::PluginHost::instance().load({dir.path()}, registry);
    const auto opened = app::openModel(demoModelDir());
    const auto data = idsDataset({1, 5, 6});
    EXPECT_EQ(runOn(registry, "plugin:editable", opened, data).scores.at(2, 3), 1.5);
    writeScript(dir.path() / "editable.py", 2.25);
    // Without a reload the imported module stays...
    EXPECT_EQ(runOn(registry, "plugin:editable", opened, data).scores.at(2, 3), 1.5);
    const auto records = plugins::PluginHost::instance().reload();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_TRUE(records[0].loaded) << records[0].error;
    // ...and after it the edited script runs; numpy was not imported again.
    EXPECT_EQ(runOn(registry, "plugin:editable", opened, data).scores.at(2, 3), 2.25);
    EXPECT_EQ(registry.all().size(), 1u);  // replaced, not added twice
    // A script that breaks on reload takes its metric away and says why.
    std::ofstream(dir.path() / "editable.py") << "ATTNSCOPE_PLUGIN = {'name': 'editable'\n";
    const auto broken = plugins::PluginHost::instance().reload();
    ASSERT_EQ(broken.size(), 1u);
    EXPECT_FALSE(broken[0].loaded);
    EXPECT_NE(broken[0].error.find("SyntaxError"), std::string::npos) << broken[0].error;
    EXPECT_TRUE(registry.all().empty());
}

// A plugin-level `parameters` list is declared once for all its metrics and edits; an entry's
// own parameter of the same name replaces the shared one for that entry.
TEST(PluginHost, SharedParametersReachEveryEntryAndEntriesOverrideThem) {
    const TempDir dir;
    std::ofstream(dir.path() / "shared.py")
        << "ATTNSCOPE_PLUGIN = {'name': 'shared', 'api_version': 1,\n"
           "    'parameters': [{'name': 'k', 'type': 'int', 'default': 3, 'max': 9},\n"
           "                   {'name': 'mode', 'type': 'enum', 'default': 'a', 'choices': "
           "['a', 'b']}],\n"
           "    'metrics': [\n"
           "        {'name': 'plain', 'function': 'f', 'hooks': ['logits']},\n"
           "        {'name': 'tuned', 'function': 'f', 'hooks': ['logits'], 'parameters': [\n"
           "            {'name': 'k', 'type': 'int', 'default': 5},\n"
           "            {'name': 'extra', 'type': 'float', 'default': 0.5}]}]}\n";
    std::ofstream(dir.path() / "wrong.py")
        << "ATTNSCOPE_PLUGIN = {'name': 'wrong', 'api_version': 1,\n"
           "    'parameters': [{'name': 'k', 'type': 'int', 'default': 'x'}],\n"
           "    'metrics': [{'name': 'w', 'function': 'f', 'hooks': ['logits']}]}\n";
    analysis::MetricRegistry registry;
    const auto records = plugins::PluginHost::instance().load({dir.path()}, registry);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_TRUE(records[0].loaded) << records[0].error;
    auto specs = [&](const std::string& metric) {
        std::map<std::string, analysis::ParamSpec> out;
        for (const auto& p : registry.find(metric)->info().params)
            out[p.name] = p;
        return out;
    };
    const auto plain = specs("plugin:plain"), tuned = specs("plugin:tuned");
    ASSERT_EQ(plain.size(), 2u);
    EXPECT_EQ(plain.at("k").defaultValue, "3");
    EXPECT_EQ(plain.at("k").maximum, 9.0);
    EXPECT_EQ(plain.at("mode").choices, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(tuned.size(), 3u);
    EXPECT_EQ(tuned.at("k").defaultValue, "5");  // its own k, without the shared bound
    EXPECT_FALSE(tuned.at("k").maximum.has_value());
    EXPECT_EQ(tuned.at("mode").defaultValue, "a");
    EXPECT_EQ(tuned.at("extra").defaultValue, "0.5");
    // A bad shared parameter names the plugin, the line and the parameter.
    EXPECT_FALSE(records[1].loaded);
    EXPECT_NE(records[1].error.find("wrong.py:2): ATTNSCOPE_PLUGIN parameter 'k': default 'x' is "
                                    "not of type int"),
              std::string::npos)
        << records[1].error;
}

TEST(PluginHost, ListingNeverRunsTheScript) {
    const TempDir dir;
    const fs::path marker = dir.path() / "ran";
    std::ofstream(dir.path() / "side_effect.py")
        << "open(" << nlohmann::json(marker.string()).dump() << ", 'w').write('ran')\n"
        << "ATTNSCOPE_PLUGIN = {'name': 'side_effect', 'api_version': 1, 'metrics': [\n"
           "    {'name': 'side_effect', 'function': 'f', 'hooks': ['logits']}]}\n";
    std::ofstream(dir.path() / "future.py")
        << "ATTNSCOPE_PLUGIN = {'name': 'future', 'api_version': 2, 'metrics': []}\n";
    std::ofstream(dir.path() / "computed.py")
        << "NAME = 'x'\nATTNSCOPE_PLUGIN = {'name': NAME, 'api_version': 1}\n";
    analysis::MetricRegistry registry;
    const auto records = plugins::PluginHost::instance().load({dir.path()}, registry);
    EXPECT_FALSE(fs::exists(marker));
    ASSERT_EQ(records.size(), 3u);
    EXPECT_NE(records[0].error.find("computed.py:2): ATTNSCOPE_PLUGIN must be a literal"),
              std::string::npos)
        << records[0].error;
    EXPECT_NE(records[1].error.find("future.py:1): api_version 2 is not supported"),
              std::string::npos)
        << records[1].error;
    EXPECT_TRUE(records[2].loaded) << records[2].error;
    EXPECT_FALSE(fs::exists(marker));
}

TEST(PluginPaths, UserFolderFollowsXdgDataHomeThenHome) {
    const char* oldXdg = std::getenv("XDG_DATA_HOME");
    const std::string savedXdg = oldXdg ? oldXdg : "";
    setenv("XDG_DATA_HOME", "/data/home", 1);
    EXPECT_EQ(plugins::userPluginDir(), fs::path("/data/home/AttnScope/AttnScope/plugins"));
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    setenv("HOME", std::getenv("HOME") ? std::getenv("HOME") : "/", 1);
    EXPECT_EQ(plugins::appDataDir("Org", "App"),
              fs::path(std::getenv("HOME")) / ".local/share/Org/App");
    if (oldXdg)
        setenv("XDG_DATA_HOME", savedXdg.c_str(), 1);
    else
        unsetenv("XDG_DATA_HOME");
    setenv("ATTNSCOPE_PLUGIN_PATH", "/a:/b", 1);
    const auto path = plugins::pluginSearchPath();
    unsetenv("ATTNSCOPE_PLUGIN_PATH");
    ASSERT_EQ(path.size(), 4u);
    EXPECT_EQ(path[0], plugins::bundledPluginDir());
    EXPECT_EQ(path[1], plugins::userPluginDir());
    EXPECT_EQ(path[2], fs::path("/a"));
    EXPECT_EQ(path[3], fs::path("/b"));
}

}  // namespace
}  // namespace attnscope::test
