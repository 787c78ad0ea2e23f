// `attnscope --session FILE`: the window restores the session that attnscope-cli wrote (model,
// prompts, edits, results), not the prompts in the settings; a missing file is an error.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_model.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/startup.h"
#include "cli_process.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

class StartupTest : public ::testing::Test {
protected:
    void SetUp() override {
        model = test::testModel();
        ATTNSCOPE_REQUIRE_FIXTURE(model.dir);
        ASSERT_TRUE(dir.isValid());
        session = dir.filePath(QStringLiteral("session.h5"));
        const bool ids =
            !QFileInfo::exists(QString::fromStdString((model.dir / "tokenizer.json").string()));
        const std::string promptFlag = ids ? "--ids" : "--prompt";
        const std::string corruptedFlag = ids ? "--corrupted-ids" : "--corrupted";
        const test::ProcessResult cli =
            test::runProcess({ATTNSCOPE_CLI, "session", "save", session.toStdString(), "--model",
                              model.dir.string(), promptFlag, model.prompt.toStdString(),
                              corruptedFlag, model.corruptedPrompt.toStdString(), "--ablate", "0.1",
                              "--ablate", "1.0", "--metric", "sink_mass", "--quiet"});
        ASSERT_EQ(cli.exitCode, 0) << cli.err;
    }

    test::TestModel model;
    QTemporaryDir dir;
    QString session;
};

TEST_F(StartupTest, SessionOptionRestoresTheSessionNotTheSettings) {
    QSettings().setValue(QStringLiteral("prompt"), QStringLiteral("a prompt from the settings"));
    QSettings().setValue(QStringLiteral("corruptedPrompt"), QStringLiteral("settings corrupted"));
    MainWindow w;
    QSettings().remove(QStringLiteral("prompt"));
    QSettings().remove(QStringLiteral("corruptedPrompt"));
    w.setQuietErrors(true);
    QSignalSpy restored(&w, &MainWindow::sessionRestored);
    QString error;
    ASSERT_TRUE(startWindow(w, {QString(), QString(), session}, false, &error))
        << error.toStdString();
    w.show();
    ASSERT_TRUE(test::waitUntil([&] { return restored.count() > 0; }))
        << w.lastError().toStdString();

    // The boxes show the session's prompts, and the run used them.
    EXPECT_EQ(w.findChild<QPlainTextEdit*>(QStringLiteral("prompt"))->toPlainText(), model.prompt);
    EXPECT_EQ(w.findChild<QLineEdit*>(QStringLiteral("corruptedPrompt"))->text(),
              model.corruptedPrompt);
    EXPECT_EQ(w.controller()->lastRun()->prompt, model.prompt);
    EXPECT_EQ(QFileInfo(w.controller()->model().path).canonicalFilePath(),
              QFileInfo(QString::fromStdString(model.dir.string())).canonicalFilePath());

    // The edits, in the table and in the atlas; the predictions are the runtime's.
    const InterventionList items = w.interventionModel()->items();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].kind, kinds::kZeroAblation);
    EXPECT_EQ(items[0].layer, 0);
    EXPECT_EQ(items[0].head, 1);
    EXPECT_EQ(items[1].layer, 1);
    EXPECT_EQ(items[1].head, 0);
    EXPECT_TRUE(w.atlasView()->isAblated({0, 1}));
    EXPECT_TRUE(w.atlasView()->isAblated({1, 0}));
    test::ExpectedRunner runner(model.dir);
    const auto edited = runner.run(model.prompt, {{0, 1}, {1, 0}});
    const PredictionsModel* predictions = w.predictionsView()->model();
    ASSERT_GE(predictions->rowCount(), 1);
    EXPECT_EQ(predictions->snapshot().rows[0].id, edited.topIds[0]);
    EXPECT_NEAR(predictions->index(0, PredictionsModel::ProbColumn).data(RawValueRole).toDouble(),
                edited.fullProbs[edited.topIds[0]], 1e-6);

    // The analysis result is offered as an atlas score.
    EXPECT_GE(w.scoreCombo()->findData(QStringLiteral("sink_mass")), 0);
}

// Restoring a session refills the analysis form with how its result was computed: the metric,
// the parameters given, the dataset file; the form's previous contents do not linger.
TEST_F(StartupTest, RestoredSessionRefillsTheAnalysisForm) {
    const QString items = dir.filePath(QStringLiteral("items.jsonl"));
    {
        QFile f(items);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("{\"ids\": [1, 5, 6, 7, 8, 9]}\n{\"ids\": [1, 9, 8, 7, 6]}\n");
    }
    const QString withParams = dir.filePath(QStringLiteral("params.h5"));
    const bool ids =
        !QFileInfo::exists(QString::fromStdString((model.dir / "tokenizer.json").string()));
    const test::ProcessResult cli = test::runProcess(
        {ATTNSCOPE_CLI, "session", "save", withParams.toStdString(), "--model", model.dir.string(),
         ids ? "--ids" : "--prompt", model.prompt.toStdString(), "--metric", "sink_mass", "--param",
         "start_size=3", "--data", items.toStdString(), "--quiet"});
    ASSERT_EQ(cli.exitCode, 0) << cli.err;

    MainWindow w;
    w.setQuietErrors(true);
    AnalysisPanel* panel = w.analysisPanel();
    ASSERT_TRUE(panel->setMetric(QStringLiteral("sink_rate")));
    QSignalSpy restored(&w, &MainWindow::sessionRestored);
    QString error;
    ASSERT_TRUE(startWindow(w, {QString(), QString(), withParams}, false, &error))
        << error.toStdString();
    ASSERT_TRUE(test::waitUntil([&] { return restored.count() > 0; }))
        << w.lastError().toStdString();
    AnalysisRequest form = panel->request();
    EXPECT_EQ(form.metric, QStringLiteral("sink_mass"));
    EXPECT_EQ(form.params.at(QStringLiteral("start_size")), QStringLiteral("3"));
    EXPECT_EQ(form.datasetPath, items);

    // A session whose result ran on its typed prompts with the defaults: the form shows those,
    // not the previous session's parameter and file.
    w.openSession(session);
    ASSERT_TRUE(test::waitUntil([&] { return restored.count() > 1; }))
        << w.lastError().toStdString();
    form = panel->request();
    EXPECT_EQ(form.metric, QStringLiteral("sink_mass"));
    EXPECT_EQ(form.params.at(QStringLiteral("start_size")), QStringLiteral("4"));  // the default
    EXPECT_TRUE(form.datasetPath.isEmpty()) << form.datasetPath.toStdString();
}

TEST_F(StartupTest, MissingSessionFileIsAnError) {
    MainWindow w;
    QString error;
    const QString missing = dir.filePath(QStringLiteral("missing.h5"));
    EXPECT_FALSE(startWindow(w, {QString(), QString(), missing}, false, &error));
    EXPECT_TRUE(error.contains(missing)) << error.toStdString();
    EXPECT_FALSE(w.controller()->hasModel());
}

// The executable itself: QApplication must not swallow `--session FILE` (X11 session
// management uses the same name).
TEST_F(StartupTest, ExecutableTakesTheSessionOption) {
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toLocal8Bit());
    const std::string missing = dir.filePath(QStringLiteral("missing.h5")).toStdString();
    const test::ProcessResult bad =
        test::runProcess({ATTNSCOPE_GUI, "--session", missing, "--screenshot",
                          dir.filePath(QStringLiteral("never.png")).toStdString()});
    EXPECT_EQ(bad.exitCode, 2) << bad.err;
    EXPECT_NE(bad.err.find(missing), std::string::npos) << bad.err;

    const QString shot = dir.filePath(QStringLiteral("restored.png"));
    const test::ProcessResult good = test::runProcess(
        {ATTNSCOPE_GUI, "--session", session.toStdString(), "--screenshot", shot.toStdString()});
    EXPECT_EQ(good.exitCode, 0) << good.err;
    EXPECT_TRUE(QFileInfo(shot).size() > 0);
    qunsetenv("XDG_CONFIG_HOME");
}

// Opening a file that is not HDF5 as a session: one error naming the file, and nothing of
// HDF5's diagnostic stack on stderr (the forked check of untrusted files included).
TEST_F(StartupTest, NonHdf5SessionFileGivesOneErrorAndNoHdf5Diagnostics) {
    const QString path = dir.filePath(QStringLiteral("notes.h5"));
    {
        QFile f(path);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("these are notes, not an HDF5 file\n");
    }
    MainWindow w;
    w.setQuietErrors(true);
    QSignalSpy errors(&w, &MainWindow::errorShown);
    const QString captured = dir.filePath(QStringLiteral("stderr.txt"));
    std::fflush(stderr);
    const int saved = ::dup(2);
    const int file = ::open(captured.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(file, 0);
    ::dup2(file, 2);
    w.openSession(path);
    const bool shown = errors.wait(60000);
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(file);
    ASSERT_TRUE(shown);
    EXPECT_TRUE(w.lastError().contains(path)) << w.lastError().toStdString();
    QFile f(captured);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QByteArray err = f.readAll();
    EXPECT_FALSE(err.contains("HDF5-DIAG")) << err.toStdString();
    EXPECT_FALSE(err.contains("#000")) << err.toStdString();
    EXPECT_EQ(errors.count(), 1);
    EXPECT_FALSE(w.controller()->hasModel());
}

}  // namespace
}  // namespace attnscope::ui
