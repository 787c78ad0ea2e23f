// The controller's threading contract: the GUI thread stays responsive during a long analysis,
// cancel stops it, stale runs are dropped, and analysis results land in the atlas.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>

#include <cmath>
#include <nlohmann/json.hpp>

#include "attnscope/store/capture_reader.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/main_window.h"
#include "cli_process.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::waitUntil;

class ControllerTest : public test::AppModelTest {
protected:
    void openIn(MainWindow& w) { ASSERT_TRUE(test::openAndRun(w, model)); }
};

TEST_F(ControllerTest, LongAnalysisKeepsTheEventLoopResponsiveAndCancelStopsIt) {
    MainWindow w;
    openIn(w);
    // 5000 prompts of 60 tokens: far more than the test waits for, so only cancelling can end
    // it early.
    QTemporaryDir dir;
    const QString dataset = dir.filePath(QStringLiteral("long.jsonl"));
    {
        QFile f(dataset);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        const bool ids = !w.controller()->model().hasTokenizer;
        QByteArray idList = "1";
        QString text = model.prompt;
        for (int i = 1; i < 60; ++i)
            idList += ", " + QByteArray::number(17 + (i * 37) % 400);
        for (int i = 0; i < 6; ++i)
            text += QLatin1Char(' ') + model.prompt;
        const QByteArray line =
            ids ? "{\"ids\": [" + idList + "]}\n" : "{\"text\": \"" + text.toUtf8() + "\"}\n";
        for (int i = 0; i < 5000; ++i)
            f.write(line);
    }
    AnalysisPanel* panel = w.analysisPanel();
    ASSERT_TRUE(panel->setMetric(QStringLiteral("sink_mass")));
    QLineEdit* datasetEdit = panel->findChild<QLineEdit*>();
    ASSERT_NE(datasetEdit, nullptr);
    // The dataset field is the panel's only line edit outside the generated form.
    for (QLineEdit* e : panel->findChildren<QLineEdit*>())
        if (e->placeholderText().contains(QStringLiteral("dataset"))) datasetEdit = e;
    datasetEdit->setText(dataset);

    double fraction = 0;
    QObject::connect(w.controller(), &AppController::progressChanged,
                     [&](const QString& task, double f, const QString&) {
                         if (task == QLatin1String("analysis")) fraction = f;
                     });
    QSignalSpy finished(w.controller(), &AppController::analysisFinished);
    QSignalSpy cancelled(w.controller(), &AppController::analysisCancelled);
    QTest::mouseClick(panel->runButton(), Qt::LeftButton);
    EXPECT_TRUE(w.controller()->analysisRunning());
    // Let it compute (past loading the dataset, two progress reports), then cancel.
    ASSERT_TRUE(waitUntil([&] { return fraction > 0; }, 60000));
    const double first = fraction;
    ASSERT_TRUE(waitUntil([&] { return fraction > first; }, 60000));
    // The GUI thread is not blocked: an event posted now is handled while the worker computes.
    bool handled = false, runningWhenHandled = false;
    QTimer::singleShot(0, w.controller(), [&] {
        handled = true;
        runningWhenHandled = w.controller()->analysisRunning();
    });
    ASSERT_TRUE(waitUntil([&] { return handled; }, 60000));
    EXPECT_TRUE(runningWhenHandled);
    ASSERT_TRUE(w.controller()->analysisRunning()) << "the analysis ended before the cancel";
    EXPECT_LT(fraction, 0.5);
    ASSERT_TRUE(panel->cancelButton()->isEnabled());
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    ASSERT_TRUE(cancelled.wait(60000));
    EXPECT_EQ(finished.count(), 0);
    EXPECT_FALSE(w.controller()->analysisRunning());
    // The panel says so instead of keeping its last progress.
    EXPECT_EQ(panel->statusText(), QStringLiteral("cancelled"));
    EXPECT_EQ(panel->progressPercent(), 0);
    EXPECT_TRUE(panel->runButton()->isEnabled());

    // The worker is free again: a live edit runs at once.
    w.editInterventions({{kinds::kZeroAblation, 0, 0, 0.0, true, QString()}}, QStringLiteral("t"));
    ASSERT_TRUE(waitUntil(
        [&] {
            const auto run = w.controller()->lastRun();
            return run && run->interventions.size() == 1;
        },
        10000));
}

TEST_F(ControllerTest, FailedAnalysisLeavesNoRunningLabel) {
    MainWindow w;
    openIn(w);
    AnalysisPanel* panel = w.analysisPanel();
    ASSERT_TRUE(panel->setMetric(QStringLiteral("sink_mass")));
    for (QLineEdit* e : panel->findChildren<QLineEdit*>())
        if (e->placeholderText().contains(QStringLiteral("dataset")))
            e->setText(QStringLiteral("/nonexistent/dataset.jsonl"));
    QSignalSpy failed(w.controller(), &AppController::analysisFailed);
    QTest::mouseClick(panel->runButton(), Qt::LeftButton);
    EXPECT_EQ(panel->statusText(), QStringLiteral("running\u2026"));
    ASSERT_TRUE(failed.wait(60000));
    EXPECT_TRUE(panel->statusText().startsWith(QStringLiteral("failed: ")))
        << panel->statusText().toStdString();
    EXPECT_FALSE(panel->statusText().contains(QStringLiteral("running")));
    EXPECT_EQ(panel->progressPercent(), 0);
    EXPECT_TRUE(panel->runButton()->isEnabled());
    EXPECT_FALSE(panel->cancelButton()->isEnabled());
}

TEST_F(ControllerTest, RapidEditsAreDebouncedAndStaleRunsDropped) {
    AppController c;
    QSignalSpy opened(&c, &AppController::modelOpened);
    c.openModel(QString::fromStdString(model.dir.string()));
    ASSERT_TRUE(opened.wait(60000));
    c.setPrompt(model.prompt);
    QSignalSpy results(&c, &AppController::resultsAvailable);
    // Three edits inside the debounce interval: one run, with the last list.
    const InterventionList a{{kinds::kZeroAblation, 0, 0, 0.0, true, QString()}};
    InterventionList b = a;
    b.push_back({kinds::kScale, 0, 1, 0.5, true, QString()});
    InterventionList lastList = b;
    lastList.push_back({kinds::kMeanAblation, 1, 1, 0.0, true, QString()});
    const quint64 before = c.runGeneration();
    c.setInterventions(a);
    c.setInterventions(b);
    c.setInterventions(lastList);
    ASSERT_TRUE(results.wait(60000));
    ASSERT_TRUE(waitUntil([&] { return !c.busy(); }, 60000));
    EXPECT_EQ(c.runGeneration(), before + 1) << "more than one run was started";
    ASSERT_EQ(results.count(), 1);
    EXPECT_EQ(c.lastRun()->interventions, lastList);

    // Back-to-back runs: only the newest generation's result is accepted.
    results.clear();
    c.runNow();
    c.runNow();
    c.runNow();
    const quint64 newest = c.runGeneration();
    ASSERT_TRUE(waitUntil([&] { return !c.busy(); }, 60000));
    ASSERT_EQ(results.count(), 1);
    EXPECT_EQ(c.lastRun()->generation, newest);
}

TEST_F(ControllerTest, AnalysisResultsLandInTheAtlasAndScoreTable) {
    MainWindow w;
    openIn(w);
    AnalysisPanel* panel = w.analysisPanel();
    ASSERT_TRUE(panel->setMetric(QStringLiteral("sink_mass")));
    ASSERT_TRUE(panel->setParam(QStringLiteral("start_size"), QStringLiteral("1")));
    QSignalSpy finished(w.controller(), &AppController::analysisFinished);
    QTest::mouseClick(panel->runButton(), Qt::LeftButton);
    ASSERT_TRUE(finished.wait(60000)) << w.lastError().toStdString();

    test::ExpectedRunner runner(model.dir);
    const auto expected =
        test::expectedMetric(runner, "sink_mass", {{"start_size", "1"}}, {model.prompt});
    EXPECT_EQ(w.atlasScore(), QStringLiteral("sink_mass"));
    const HeadScoresSnapshot& shown = w.atlasView()->scores();
    ASSERT_EQ(shown.values.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(shown.values[i], expected[i], 1e-6) << "head " << i;
    EXPECT_EQ(w.scoresModel()->rowCount(), static_cast<int>(expected.size()));
}

TEST_F(ControllerTest, EveryInterventionKindGivesTheRuntimesPredictions) {
    AppController c;
    QSignalSpy opened(&c, &AppController::modelOpened);
    c.openModel(QString::fromStdString(model.dir.string()));
    ASSERT_TRUE(opened.wait(60000));
    c.setPrompt(model.prompt);
    c.setCorruptedPrompt(model.corruptedPrompt);
    test::ExpectedRunner runner(model.dir);
    const int layer = c.model().layers - 1;
    struct Case {
        QString kind;
        double param;
    };
    for (const Case& k :
         {Case{kinds::kScale, 3.0}, Case{kinds::kMeanAblation, 0.0}, Case{kinds::kSinkWindow, 2.0},
          Case{kinds::kActCalibration, 0.1}, Case{kinds::kPatch, 0.0}}) {
        SCOPED_TRACE(k.kind.toStdString());
        QSignalSpy results(&c, &AppController::resultsAvailable);
        c.setInterventions({{k.kind, layer, 1, k.param, true, QString()}});
        ASSERT_TRUE(results.wait(60000));
        const auto expected =
            runner.runEdit(model.prompt, k.kind, layer, 1, k.param, model.corruptedPrompt);
        const auto& rows = c.lastRun()->predictions.rows;
        // The edited top 10 first (baseline tokens the edit pushed out follow them).
        ASSERT_GE(rows.size(), expected.topIds.size());
        for (size_t r = 0; r < expected.topIds.size(); ++r) {
            EXPECT_EQ(rows[r].id, expected.topIds[r]);
            EXPECT_NEAR(rows[r].prob, expected.topProbs[r], 1e-6);
        }
        for (size_t r = expected.topIds.size(); r < rows.size(); ++r)
            EXPECT_NEAR(rows[r].prob, expected.fullProbs[rows[r].id], 1e-6);
        // The edited layer's map: only the sink/window and ACT edits change it.
        const auto shown = c.lastRun()->map(layer, 1);
        const auto want = expected.map(layer, 1);
        ASSERT_EQ(shown.values.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
            ASSERT_NEAR(shown.values[i], want[i], 1e-6) << "cell " << i;
    }
}

// One session (the demo model, a prompt, a zero ablation and a scale) through the window's
// controller and through attnscope-cli in its own process: the same predictions and maps.
TEST(FrontEnds, CliAndControllerGiveIdenticalRuns) {
    // One LibTorch thread on both sides, so that even the order of float sums is the same.
    at::set_num_threads(1);
    const auto demo = test::sourceDir() / "resources" / "models" / "demo";
    const QString prompt = QStringLiteral("alice apple bob river carol stone . carol stone alice");
    AppController c;
    QSignalSpy opened(&c, &AppController::modelOpened);
    c.openModel(QString::fromStdString(demo.string()));
    ASSERT_TRUE(opened.wait(60000));
    c.setPrompt(prompt);
    QSignalSpy results(&c, &AppController::resultsAvailable);
    c.setInterventions({{kinds::kZeroAblation, 2, 0, 0.0, true, QString()},
                        {kinds::kScale, 1, 3, 0.5, true, QString()}});
    ASSERT_TRUE(results.wait(60000));
    const auto run = c.lastRun();
    ASSERT_EQ(run->interventions.size(), 2u);

    QTemporaryDir dir;
    const QString edits = dir.filePath(QStringLiteral("edits.json"));
    {
        QFile f(edits);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(R"([{"kind": "zero_ablation", "layer": 2, "head": 0},
                    {"kind": "scale", "layer": 1, "head": 3, "param": 0.5}])");
    }
    const std::string capture = dir.filePath(QStringLiteral("run.h5")).toStdString();
    const test::ProcessResult cli = test::runProcess(
        {ATTNSCOPE_CLI, "run", "--model", demo.string(), "--prompt", prompt.toStdString(),
         "--edits", edits.toStdString(), "--capture", "blocks.*.attn.hook_pattern", "--out",
         capture, "--top-k", "10", "--json", "--threads", "1"});
    ASSERT_EQ(cli.exitCode, 0) << cli.err;
    const auto json = nlohmann::json::parse(cli.out);
    const auto& top = json["top_k"];
    ASSERT_EQ(top.size(), 10u);
    ASSERT_GE(run->predictions.rows.size(), 10u);
    for (size_t r = 0; r < 10; ++r) {
        EXPECT_EQ(run->predictions.rows[r].id, top[r]["id"].get<int64_t>()) << "row " << r;
        EXPECT_EQ(run->predictions.rows[r].prob, top[r]["prob"].get<double>()) << "row " << r;
    }
    const store::CaptureReader reader(capture);
    for (const auto& [layer, head] : {std::pair{1, 3}, std::pair{3, 5}})
        EXPECT_EQ(run->map(layer, head).values, reader.readHeadPattern(0, layer, head))
            << "layer " << layer << " head " << head;
}

}  // namespace
}  // namespace attnscope::ui
