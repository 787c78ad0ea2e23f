// Plugin metrics in the window: listed in the analysis form, run into the atlas, reloaded after
// an edit (menu item and file watcher) without a restart, failures in the message bar; and the
// per-user plugin folder the host computes equals QStandardPaths::AppDataLocation.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>

#include "attnscope/analysis/metric.h"
#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_paths.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/atlas_panel.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/message_bar.h"
#include "attnscope/ui/plugin_watcher.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::waitUntil;

const QString kMetric = QStringLiteral("plugin:gui_constant");

void writeScript(const QString& path, const QByteArray& value) {
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(
        "import numpy as np\n"
        "ATTNSCOPE_PLUGIN = {'name': 'gui_constant', 'api_version': 1, 'metrics': [\n"
        "    {'name': 'gui_constant', 'label': 'GUI test constant', 'function': 'score',\n"
        "     'hooks': ['blocks.*.attn.hook_pattern'],\n"
        "     'parameters': [{'name': 'mode', 'type': 'enum', 'default': 'a',\n"
        "                     'choices': ['a', 'b']}]}]}\n"
        "def score(ctx, params):\n"
        "    return np.full((ctx.n_layers, ctx.n_heads), " +
        value + ")\n");
}

// Loads the test folder into the process-wide registry for one test; leaves no plugin behind.
class PluginWindowTest : public test::AppModelTest {
protected:
    void SetUp() override {
        AppModelTest::SetUp();
        if (IsSkipped()) return;
        script = dir.filePath(QStringLiteral("gui_constant.py"));
        writeScript(script, "0.25");
        plugins::PluginHost::instance().load({dir.path().toStdString()},
                                             analysis::MetricRegistry::global());
    }
    void TearDown() override {
        plugins::PluginHost::instance().load({}, analysis::MetricRegistry::global());
    }

    // Runs the plugin metric from the analysis form; its values, as the atlas received them.
    std::vector<double> runPluginMetric(MainWindow& w) {
        AnalysisPanel* panel = w.analysisPanel();
        EXPECT_TRUE(panel->setMetric(kMetric));
        QSignalSpy finished(w.controller(), &AppController::analysisFinished);
        QTest::mouseClick(panel->runButton(), Qt::LeftButton);
        EXPECT_TRUE(finished.wait(60000));
        EXPECT_EQ(w.atlasScore(), kMetric);
        for (const auto& r : w.controller()->results())
            if (r.metric == kMetric) return r.values;
        ADD_FAILURE() << "no result for " << kMetric.toStdString();
        return {};
    }

    QTemporaryDir dir;
    QString script;
};

TEST_F(PluginWindowTest, PluginMetricRunsFromTheAnalysisMenuIntoTheAtlasAndReloadsAfterAnEdit) {
    MainWindow w;
    w.setQuietErrors(true);
    ASSERT_TRUE(test::openAndRun(w, model));
    AnalysisPanel* panel = w.analysisPanel();
    ASSERT_TRUE(panel->metricNames().contains(kMetric));
    ASSERT_TRUE(panel->setMetric(kMetric));
    // The form is built from the declared parameters: an enum is a combo box.
    auto* mode = panel->findChild<QComboBox*>(QStringLiteral("mode"));
    ASSERT_NE(mode, nullptr);
    EXPECT_EQ(mode->count(), 2);

    std::vector<double> values = runPluginMetric(w);
    ASSERT_FALSE(values.empty());
    for (double v : values)
        EXPECT_EQ(v, 0.25);
    QComboBox* atlasCombo = w.atlasPanel()->scoreCombo();
    EXPECT_GE(atlasCombo->findData(kMetric), 0);
    EXPECT_EQ(w.atlasPanel()->scoreLabel(), QStringLiteral("GUI test constant"));

    // Edit the script, reload from the menu: the next run uses the new code.
    writeScript(script, "0.75");
    auto* reload = w.findChild<QAction*>(QStringLiteral("reloadPluginsAction"));
    ASSERT_NE(reload, nullptr);
    QSignalSpy reloaded(&w, &MainWindow::pluginsReloaded);
    reload->trigger();
    ASSERT_EQ(reloaded.count(), 1);
    values = runPluginMetric(w);
    for (double v : values)
        EXPECT_EQ(v, 0.75);
    EXPECT_FALSE(w.messageBar()->isVisibleTo(&w));

    // A script broken by an edit: the message bar names it, its metric leaves the form, the
    // window goes on working.
    {
        QFile f(script);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("ATTNSCOPE_PLUGIN = {'name': 'gui_constant',\n");
    }
    reload->trigger();
    ASSERT_EQ(reloaded.count(), 2);
    EXPECT_TRUE(w.messageBar()->isVisibleTo(&w));
    EXPECT_TRUE(w.messageBar()->text().contains(script)) << w.messageBar()->text().toStdString();
    EXPECT_TRUE(w.messageBar()->details().contains(QStringLiteral("SyntaxError")));
    EXPECT_FALSE(panel->metricNames().contains(kMetric));
    EXPECT_TRUE(panel->setMetric(QStringLiteral("sink_mass")));
}

TEST_F(PluginWindowTest, FailingPluginMetricGoesToTheMessageBar) {
    QFile f(script);
    ASSERT_TRUE(f.open(QIODevice::Append));
    f.write("def score(ctx, params):\n    raise ValueError('broken on purpose')\n");
    f.close();
    MainWindow w;
    w.setQuietErrors(true);
    ASSERT_TRUE(test::openAndRun(w, model));
    w.reloadPlugins();
    ASSERT_TRUE(w.analysisPanel()->setMetric(kMetric));
    QSignalSpy failed(w.controller(), &AppController::analysisFailed);
    QTest::mouseClick(w.analysisPanel()->runButton(), Qt::LeftButton);
    ASSERT_TRUE(failed.wait(60000));
    EXPECT_TRUE(w.messageBar()->isVisibleTo(&w));
    EXPECT_TRUE(
        w.messageBar()->details().contains(QStringLiteral("ValueError: broken on purpose")));
    EXPECT_TRUE(w.messageBar()->details().contains(script + QStringLiteral(":10")))
        << w.messageBar()->details().toStdString();
    EXPECT_TRUE(w.analysisPanel()->runButton()->isEnabled());
}

TEST_F(PluginWindowTest, FileWatcherNoticesAnEditedScript) {
    PluginWatcher watcher;
    watcher.setDebounce(0);
    ASSERT_TRUE(watcher.folders().contains(dir.path()));
    QSignalSpy changed(&watcher, &PluginWatcher::changedOnDisk);
    writeScript(script, "0.5");
    ASSERT_TRUE(changed.wait(20000));
}

TEST(PluginPaths, UserFolderEqualsQStandardPathsAppDataLocation) {
    QStandardPaths::setTestModeEnabled(false);
    const QByteArray oldXdg = qgetenv("XDG_DATA_HOME");
    const std::string org = QCoreApplication::organizationName().toStdString();
    const std::string app = QCoreApplication::applicationName().toStdString();
    QTemporaryDir data;
    for (const QByteArray& xdg : {data.path().toLocal8Bit(), QByteArray()}) {
        if (xdg.isEmpty())
            qunsetenv("XDG_DATA_HOME");
        else
            qputenv("XDG_DATA_HOME", xdg);
        EXPECT_EQ(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation).toStdString(),
                  plugins::appDataDir(org, app).string())
            << "XDG_DATA_HOME=" << xdg.toStdString();
    }
    if (oldXdg.isEmpty())
        qunsetenv("XDG_DATA_HOME");
    else
        qputenv("XDG_DATA_HOME", oldXdg);
    QStandardPaths::setTestModeEnabled(true);
}

}  // namespace
}  // namespace attnscope::ui
