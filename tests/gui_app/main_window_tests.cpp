// The main window driven like a user: open, run, click the atlas, Ctrl+click to ablate, undo,
// save and reopen a session. Expected values come from app::runPrompt (expected_runs.cpp).
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <algorithm>

#include <QCheckBox>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>

#include <cmath>

#include "attnscope/store/capture_reader.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_model.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/prompt_panel.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::maxAbsDiff;
using test::waitUntil;

// The edited run's top tokens, then the baseline's top tokens that the edit pushed out of
// them, each with its edited and baseline probability.
void expectPredictions(const MainWindow& w, const test::ExpectedRun& edited,
                       const test::ExpectedRun& baseline) {
    const PredictionsModel* model = w.predictionsView()->model();
    std::vector<int64_t> ids = edited.topIds;
    for (int64_t id : baseline.topIds)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    ASSERT_EQ(model->rowCount(), static_cast<int>(ids.size()));
    for (int r = 0; r < model->rowCount(); ++r) {
        const qint64 id = model->snapshot().rows[r].id;
        EXPECT_EQ(id, ids[r]) << "row " << r;
        EXPECT_NEAR(model->index(r, PredictionsModel::ProbColumn).data(RawValueRole).toDouble(),
                    edited.fullProbs[id], 1e-6);
        EXPECT_NEAR(model->index(r, PredictionsModel::BaselineColumn).data(RawValueRole).toDouble(),
                    baseline.fullProbs[id], 1e-6);
    }
}

void clickHead(MainWindow& w, int layer, int head, Qt::KeyboardModifiers modifiers = {}) {
    HeadAtlasView* atlas = w.atlasView();
    QTest::mouseClick(atlas, Qt::LeftButton, modifiers,
                      atlas->cellRect({layer, head}).center().toPoint());
}

bool waitForEdits(const MainWindow& w, size_t count) {
    return waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->interventions.size() == count &&
               run->generation == w.controller()->runGeneration();
    });
}

class MainWindowTest : public test::ExpectedRunTest {
protected:
    void open(MainWindow& w) {
        w.resize(1400, 900);
        ASSERT_TRUE(test::openAndRun(w, model));
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
    }
};

TEST_F(MainWindowTest, AblatingFromTheAtlasShowsTheRuntimesValuesAndSessionsRestoreThem) {
    MainWindow w;
    open(w);
    const auto base = runner->run(model.prompt, {});
    expectPredictions(w, base, base);
    EXPECT_TRUE(QSettings()
                    .value(QStringLiteral("recentModels"))
                    .toStringList()
                    .contains(w.controller()->model().path));

    // The head to ablate: the layer-0 head whose ablation moves the next-token distribution
    // most, and the last-layer head whose map it changes most (both from the runtime).
    const int heads = w.controller()->model().heads;
    const int last = w.controller()->model().layers - 1;
    int target = 0, later = 0;
    double moved = -1, changed = -1;
    test::ExpectedRun ablated;
    for (int h = 0; h < heads; ++h) {
        auto r = runner->run(model.prompt, {{0, h}});
        double d = 0;
        for (size_t i = 0; i < r.fullProbs.size(); ++i)
            d = std::max(d, std::abs(r.fullProbs[i] - base.fullProbs[i]));
        if (d > moved) {
            moved = d;
            target = h;
            ablated = std::move(r);
        }
    }
    for (int h = 0; h < heads; ++h) {
        const double d = maxAbsDiff(ablated.map(last, h), base.map(last, h));
        if (d > changed) {
            changed = d;
            later = h;
        }
    }
    ASSERT_GT(moved, 1e-4) << "no layer-0 head moves the predictions";
    ASSERT_GT(changed, 1e-4) << "the ablation changes no last-layer map";

    // Click selects a head everywhere; the heatmap shows its map.
    clickHead(w, 0, target);
    EXPECT_EQ(w.selectedHead(), (HeadRef{0, target}));
    EXPECT_LE(maxAbsDiff(w.heatmapView()->tile().values, base.map(0, target)), 1e-6);

    // Ctrl+click ablates it: one edit, a debounced re-run, the runtime's ablated values.
    clickHead(w, 0, target, Qt::ControlModifier);
    EXPECT_TRUE(w.atlasView()->isAblated({0, target}));
    ASSERT_EQ(w.interventionModel()->rowCount(), 1);
    EXPECT_EQ(w.interventionModel()->items()[0].kind, kinds::kZeroAblation);
    ASSERT_TRUE(waitForEdits(w, 1)) << w.lastError().toStdString();
    expectPredictions(w, ablated, base);

    // A later layer's map changed to the runtime's ablated map; the difference view shows it.
    clickHead(w, last, later);
    EXPECT_LE(maxAbsDiff(w.heatmapView()->tile().values, ablated.map(last, later)), 1e-6);
    w.setMapView(MainWindow::MapView::Difference);
    std::vector<float> diff = ablated.map(last, later);
    const auto b = base.map(last, later);
    for (size_t i = 0; i < diff.size(); ++i)
        diff[i] -= b[i];
    EXPECT_TRUE(w.heatmapView()->differenceMode());
    EXPECT_LE(maxAbsDiff(w.heatmapView()->tile().values, diff), 1e-6);
    w.setMapView(MainWindow::MapView::Edited);
    // Mean over the layer's heads: the mean of the runtime's maps.
    w.setMapAverage(MapAverage::LayerHeads);
    std::vector<float> mean(diff.size(), 0.0f);
    for (int h = 0; h < heads; ++h) {
        const auto m = ablated.map(last, h);
        for (size_t i = 0; i < mean.size(); ++i)
            mean[i] += m[i] / heads;
    }
    EXPECT_LE(maxAbsDiff(w.heatmapView()->tile().values, mean), 1e-5);
    w.setMapAverage(MapAverage::Head);

    // Undo brings the baseline back; redo the ablation.
    w.undoStack()->undo();
    ASSERT_TRUE(waitForEdits(w, 0));
    expectPredictions(w, base, base);
    EXPECT_FALSE(w.atlasView()->isAblated({0, target}));
    w.undoStack()->redo();
    ASSERT_TRUE(waitForEdits(w, 1));
    expectPredictions(w, ablated, base);

    // Save, then reopen in a fresh window.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("session.h5"));
    QSignalSpy saved(w.controller(), &AppController::sessionSaved);
    w.saveSession(path);
    ASSERT_TRUE(saved.wait(60000)) << w.lastError().toStdString();
    {
        // The file is a capture file: run 0 holds the edited patterns.
        store::CaptureReader reader(path.toStdString());
        ASSERT_EQ(reader.runCount(), 2);
        EXPECT_EQ(reader.run(0).prompt, model.prompt.toStdString());
        const auto stored = reader.readHeadPattern(0, last, later);
        EXPECT_LE(maxAbsDiff(stored, ablated.map(last, later)), 1e-6);
        EXPECT_LE(maxAbsDiff(reader.readHeadPattern(1, last, later), base.map(last, later)), 1e-6);
    }

    MainWindow w2;
    w2.setQuietErrors(true);
    w2.resize(1400, 900);
    w2.show();
    QSignalSpy loaded(w2.controller(), &AppController::sessionLoaded);
    w2.openSession(path);
    ASSERT_TRUE(waitUntil([&] { return loaded.count() > 0; })) << w2.lastError().toStdString();
    ASSERT_TRUE(waitUntil([&] { return w2.interventionModel()->rowCount() == 1; }));
    EXPECT_EQ(w2.controller()->prompt(), model.prompt);
    ASSERT_EQ(w2.interventionModel()->rowCount(), 1);
    EXPECT_EQ(w2.interventionModel()->items(), w.interventionModel()->items());
    EXPECT_TRUE(w2.atlasView()->isAblated({0, target}));
    EXPECT_EQ(w2.selectedHead(), (HeadRef{last, later}));
    expectPredictions(w2, ablated, base);
    EXPECT_LE(maxAbsDiff(w2.heatmapView()->tile().values, ablated.map(last, later)), 1e-6);
}

TEST_F(MainWindowTest, ErrorsAreReportedNotFatal) {
    MainWindow w;
    w.setQuietErrors(true);
    QSignalSpy errors(&w, &MainWindow::errorShown);
    w.openModel(QStringLiteral("/nonexistent/model-folder"));
    ASSERT_TRUE(errors.wait(30000));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("/nonexistent/model-folder")))
        << w.lastError().toStdString();
    EXPECT_FALSE(w.controller()->hasModel());
    w.openSession(QStringLiteral("/nonexistent/session.h5"));
    ASSERT_TRUE(errors.wait(30000));
    EXPECT_TRUE(w.lastError().contains(QStringLiteral("session.h5")));
}

// "Special tokens as text" in the prompt panel: a special-token string glued to words is the
// special token by default, and part of one plain (here unknown) word when the box is ticked.
TEST(PromptPanelSwitch, SpecialTokensAsTextRetokenizesThePrompt) {
    const auto demo = test::sourceDir() / "resources" / "models" / "demo";
    ATTNSCOPE_REQUIRE_FIXTURE(demo / "tokenizer.json");
    MainWindow w;
    ASSERT_TRUE(test::openAndRun(w, {demo, QStringLiteral("alice<bos>bob"), QString()}));
    const auto texts = [&] {
        QStringList out;
        for (const auto& t : w.controller()->lastRun()->tokens.tokens)
            out << t.text;
        return out;
    };
    EXPECT_EQ(texts(), (QStringList{"<bos>", "alice", "<bos>", "bob"}));

    QCheckBox* box = w.promptPanel()->splitSpecialTokensBox();
    ASSERT_NE(box, nullptr);
    box->click();  // re-runs at once
    ASSERT_TRUE(waitUntil([&] { return w.controller()->lastRun()->tokens.tokens.size() == 2; }))
        << texts().join(QLatin1Char(' ')).toStdString();
    EXPECT_TRUE(w.controller()->splitSpecialTokens());
    EXPECT_EQ(texts(), (QStringList{"<bos>", "<unk>"}));

    box->click();
    ASSERT_TRUE(waitUntil([&] { return w.controller()->lastRun()->tokens.tokens.size() == 4; }));
    EXPECT_FALSE(w.controller()->splitSpecialTokens());
}

}  // namespace
}  // namespace attnscope::ui
