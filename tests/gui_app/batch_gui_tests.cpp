// The window's side of batch experiments: the Analysis tab saves its setup as an experiment
// file that `attnscope-cli batch` runs, and File ▸ Open results shows a results file.
#include <QComboBox>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>

#include "attnscope/app/batch.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/batch_results_window.h"
#include "attnscope/ui/head_atlas_view.h"
#include "cli_process.h"
#include "test_helpers.h"

namespace attnscope::test {
namespace {

using ui::MainWindow;

TEST_F(AppModelTest, SaveAsExperimentWritesTheSetupThatBatchRuns) {
    MainWindow w;
    ASSERT_TRUE(openAndRun(w, model));
    ASSERT_TRUE(w.analysisPanel()->setMetric(QStringLiteral("sink_mass")));
    ASSERT_TRUE(w.analysisPanel()->setParam(QStringLiteral("start_size"), QStringLiteral("2")));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("setup.yaml"));
    QString error;
    ASSERT_TRUE(w.saveExperiment(path, &error)) << error.toStdString();

    const app::Experiment x = app::readExperimentFile(path.toStdString());
    ASSERT_EQ(x.models.size(), 1u);
    EXPECT_EQ(std::filesystem::canonical(x.models[0]), std::filesystem::canonical(model.dir));
    ASSERT_EQ(x.datasets.size(), 1u);
    EXPECT_EQ(x.datasets[0].prompts, std::vector<std::string>{model.prompt.toStdString()});
    ASSERT_EQ(x.edits.size(), 1u);  // no edits in the window: the unedited list only
    EXPECT_TRUE(x.edits[0].edits.empty());
    ASSERT_EQ(x.analyses.size(), 1u);
    EXPECT_EQ(x.analyses[0].name, "sink_mass");
    EXPECT_EQ(x.analyses[0].params.at("start_size"), "2");

    const auto r = runProcess({ATTNSCOPE_CLI, "batch", path.toStdString(), "--out",
                               dir.filePath(QStringLiteral("r.h5")).toStdString(),
                               "--progress=none", "--threads", "1"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(BatchResultsWindowTest, ShowsTheAggregatedAtlasTheItemsAndAnItemsTablesOnClick) {
    QTemporaryDir dir;
    const std::string demo = (sourceDir() / "resources" / "models" / "demo").string();
    const QString exp = dir.filePath(QStringLiteral("exp.yaml"));
    {
        QFile f(exp);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(("models: [" + demo +
                 "]\ndatasets:\n  - prompts: [\"alice apple bob river . bob\", \"carol stone . "
                 "carol\"]\nedits:\n  none: []\n  ablate: [{kind: zero_ablation, layer: 1, "
                 "head: 0}]\nanalyses:\n  - metric: sink_mass\n")
                    .c_str());
    }
    const std::string out = dir.filePath(QStringLiteral("r.h5")).toStdString();
    const auto r = runProcess({ATTNSCOPE_CLI, "batch", exp.toStdString(), "--out", out,
                               "--progress=none", "--threads", "1"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const app::BatchResultsFile expected = app::readBatchResults(out);

    MainWindow w;
    w.setQuietErrors(true);
    // Read on the controller's worker, with its progress in the status bar; the window appears
    // once the file is read.
    QSignalSpy progress(w.controller(), &ui::AppController::progressChanged);
    w.openResults(QString::fromStdString(out));
    EXPECT_EQ(w.resultsWindow(), nullptr);  // not read on the GUI thread
    ASSERT_TRUE(waitUntil([&] { return w.resultsWindow() != nullptr; }))
        << w.lastError().toStdString();
    ui::BatchResultsWindow* view = w.resultsWindow();
    bool resultsTask = false;
    for (const auto& args : progress)
        resultsTask |= args.at(0).toString() == QStringLiteral("results");
    EXPECT_TRUE(resultsTask);
    ASSERT_EQ(view->itemTable()->rowCount(), 4);
    EXPECT_EQ(view->itemTable()->item(1, 3)->text(), QStringLiteral("ablate"));
    ASSERT_EQ(view->aggregateChooser()->count(), 2);
    // The atlas shows the first mean table as stored.
    const auto& mean = expected.aggregates.front().second;
    const auto& shown = view->atlas()->scores();
    ASSERT_EQ(shown.layers, mean.rows);
    ASSERT_EQ(shown.heads, mean.cols);
    for (size_t i = 0; i < mean.values.size(); ++i)
        EXPECT_EQ(static_cast<float>(shown.values[i]), mean.values[i]);

    const QRect cell = view->itemTable()->visualItemRect(view->itemTable()->item(2, 0));
    QTest::mouseClick(view->itemTable()->viewport(), Qt::LeftButton, {}, cell.center());
    EXPECT_TRUE(view->details()->toPlainText().contains(QStringLiteral("item-00002")));
    EXPECT_TRUE(view->details()->toPlainText().contains(QStringLiteral("sink_mass")));

    // Anything else is refused with the reason.
    QSignalSpy failed(w.controller(), &ui::AppController::batchResultsFailed);
    w.openResults(exp);
    ASSERT_TRUE(waitUntil([&] { return failed.count() > 0; }));
    EXPECT_TRUE(w.lastError().contains(exp)) << w.lastError().toStdString();
    EXPECT_EQ(w.resultsWindow(), view);  // the open window stays
}

}  // namespace
}  // namespace attnscope::test
