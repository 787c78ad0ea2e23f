// The failure-case plugins (tests/plugins/scripts): each gives the documented error naming the
// plugin, its file and the user's line, and the interpreter stays usable for the next plugin.
#include <atomic>

#include "attnscope/capture/load_error.h"
#include "plugin_test_support.h"

namespace attnscope::test {
namespace {

class FailingPlugins : public ::testing::Test {
protected:
    void SetUp() override {
        m_records = plugins::PluginHost::instance().load(
            {testPluginsDir(), plugins::bundledPluginDir()}, m_registry);
    }

    std::string errorOf(const std::string& metric) {
        return pluginErrorOf([&] { runOn(m_registry, metric, m_opened, idsDataset(m_ids)); });
    }
    std::string file(const std::string& stem) const {
        return (testPluginsDir() / (stem + ".py")).string();
    }
    // The next plugin still runs, with the right values.
    void expectStillUsable() {
        const auto r = runOn(m_registry, "plugin:attention_entropy", m_opened, idsDataset(m_ids));
        for (double v : r.scores.values)
            EXPECT_TRUE(std::isfinite(v) && v >= 0);
    }

    analysis::MetricRegistry m_registry;
    std::vector<plugins::PluginRecord> m_records;
    app::OpenedModel m_opened = app::openModel(demoModelDir());
    std::vector<int64_t> m_ids{1, 5, 6, 7, 5, 6, 7};
};

TEST_F(FailingPlugins, ExceptionNamesPluginFileLineAndTraceback) {
    const std::string e = errorOf("plugin:raises");
    EXPECT_NE(e.find("plugin raises (" + file("raises") + ":10): KeyError: 'missing key'"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("Traceback (most recent call last)"), std::string::npos) << e;
    EXPECT_NE(e.find("line 14, in score"), std::string::npos) << e;  // the caller's frame
    EXPECT_EQ(e.find("<attnscope-host>"), std::string::npos) << e;   // host frames left out
    expectStillUsable();
}

TEST_F(FailingPlugins, WrongShapeDtypeAndAllNanAreErrorsAtTheFunctionsLine) {
    std::string e = errorOf("plugin:wrong_shape");
    EXPECT_NE(e.find("plugin wrong_shape (" + file("wrong_shape") +
                     ":11): score returned shape (5, 8); expected (4, 8) = [layers, heads]"),
              std::string::npos)
        << e;
    e = errorOf("plugin:wrong_dtype");
    EXPECT_NE(e.find("score returned dtype int64; expected a float array"), std::string::npos) << e;
    e = errorOf("plugin:all_nan");
    EXPECT_NE(e.find("returned NaN for every head"), std::string::npos) << e;
    expectStillUsable();
}

TEST_F(FailingPlugins, SyntaxErrorFailsTheLoadWithItsLineAndNothingRuns) {
    const auto it = std::find_if(m_records.begin(), m_records.end(),
                                 [](const auto& r) { return r.name == "syntax_error"; });
    ASSERT_NE(it, m_records.end());
    EXPECT_FALSE(it->loaded);
    EXPECT_NE(it->error.find("plugin syntax_error (" + file("syntax_error") + ":8): SyntaxError"),
              std::string::npos)
        << it->error;
    EXPECT_NE(it->error.find("def score(ctx, params) return 0"), std::string::npos) << it->error;
    EXPECT_THROW(m_registry.find("plugin:syntax_error"), capture::InputError);
    const std::string e =
        pluginErrorOf([&] { plugins::requirePluginMetric("plugin:syntax_error", m_registry); });
    EXPECT_NE(e.find("not loaded: plugin syntax_error"), std::string::npos) << e;
    expectStillUsable();
}

TEST_F(FailingPlugins, ImportFailureIsReportedWhenTheScriptFirstRuns) {
    // Listing read the metadata without importing: the plugin is listed as loaded.
    EXPECT_NO_THROW(m_registry.find("plugin:import_failure"));
    const std::string e = errorOf("plugin:import_failure");
    EXPECT_NE(e.find("plugin import_failure (" + file("import_failure") +
                     ":2): ModuleNotFoundError: No module named 'attnscope_no_such_module'"),
              std::string::npos)
        << e;
    expectStillUsable();
}

TEST_F(FailingPlugins, UnknownHookIsNamedWithItsDeclarationLine) {
    const std::string e = errorOf("plugin:unknown_hook");
    EXPECT_NE(e.find("plugin unknown_hook (" + file("unknown_hook") +
                     ":7): declares hook 'blocks.*.attn.hook_telepathy', which this model does "
                     "not have"),
              std::string::npos)
        << e;
    expectStillUsable();
}

TEST_F(FailingPlugins, PluginErrorShowsJustTheMessage) {
    EXPECT_EQ(errorOf("plugin:plugin_error"),
              "plugin plugin_error: this metric needs at least 1000 tokens");
    expectStillUsable();
}

// Cancels from the plugin's own progress report (on the worker), so the cancel surely
// arrives while the plugin loops. The run ends as every cancelled metric does: with
// capture::Cancelled, no result.
void runUntilCancelled(const analysis::MetricRegistry& registry, const std::string& metric,
                       const app::OpenedModel& opened, const std::vector<int64_t>& ids) {
    std::atomic<bool> cancel{false};
    const capture::Progress progress(
        [&](double fraction, const std::string&) {
            if (fraction > 0.2) cancel = true;
        },
        &cancel);
    EXPECT_THROW(runOn(registry, metric, opened, idsDataset(ids), {}, progress), capture::Cancelled)
        << metric;
    EXPECT_TRUE(cancel.load()) << metric << " reported no progress to cancel from";
}

TEST_F(FailingPlugins, CooperativeLoopStopsAtCheckCancelled) {
    runUntilCancelled(m_registry, "plugin:loops_until_cancelled", m_opened, m_ids);
    expectStillUsable();
}

TEST_F(FailingPlugins, LoopThatNeverChecksIsInterruptedAsynchronously) {
    runUntilCancelled(m_registry, "plugin:ignores_cancel", m_opened, m_ids);
    expectStillUsable();
    // The interrupt does not linger: the next call of the same plugin is not hit by it.
    runUntilCancelled(m_registry, "plugin:loops_until_cancelled", m_opened, m_ids);
    expectStillUsable();
}

TEST_F(FailingPlugins, BadParametersAreInputErrorsNamingTheParameter) {
    const auto run = [&](const std::map<std::string, std::string>& params) {
        try {
            runOn(m_registry, "plugin:inspect_context", m_opened, idsDataset(m_ids), params);
        } catch (const capture::InputError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    EXPECT_EQ(run({{"k", "11"}}), "parameter 'k' = 11 is outside [1, 10]");
    EXPECT_EQ(run({{"mode", "c"}}), "parameter 'mode' must be one of a, b, got 'c'");
    EXPECT_EQ(run({{"scale", "x"}}), "parameter 'scale' must be a number, got 'x'");
}

}  // namespace
}  // namespace attnscope::test
