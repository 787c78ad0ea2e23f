// The Plots dock's logit lens and ablation curve against values computed here with the runtime
// (expected_runs.cpp), and the plots' graph data against the snapshots they were given.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QComboBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/analysis_request.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/logit_lens_plot.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/qcustomplot_wrapper.h"
#include "attnscope/ui/score_scatter_plot.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::waitUntil;

// A graph's (key, value) pairs.
std::vector<std::pair<double, double>> pointsOf(QCPGraph* graph) {
    std::vector<std::pair<double, double>> out;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        out.emplace_back(it->key, it->value);
    return out;
}

std::vector<std::pair<double, double>> pointsOf(const std::vector<double>& xs,
                                                const std::vector<double>& ys) {
    std::vector<std::pair<double, double>> out;
    for (size_t i = 0; i < ys.size(); ++i)
        out.emplace_back(xs[i], ys[i]);
    return out;
}

// The heads of `scores` in descending order, NaN left out (written here, not the engine's).
std::vector<std::pair<int, int>> rankedHeads(const HeadScoresSnapshot& scores) {
    std::vector<int> index(scores.values.size());
    std::iota(index.begin(), index.end(), 0);
    index.erase(std::remove_if(index.begin(), index.end(),
                               [&](int i) { return std::isnan(scores.values[i]); }),
                index.end());
    std::stable_sort(index.begin(), index.end(),
                     [&](int a, int b) { return scores.values[a] > scores.values[b]; });
    std::vector<std::pair<int, int>> out;
    for (int i : index)
        out.emplace_back(i / scores.heads, i % scores.heads);
    return out;
}

class PlotsTest : public test::ExpectedRunTest {
protected:
    void open(MainWindow& w) { ASSERT_TRUE(test::openAndRun(w, model)); }
};

TEST_F(PlotsTest, LogitLensEndsAtThePredictionAndMatchesTheResidualStream) {
    MainWindow w;
    open(w);
    // An edit, so that the edited and the baseline lens differ.
    const std::pair<int, int> ablated{0, 1};
    w.editInterventions(
        {{kinds::kZeroAblation, ablated.first, ablated.second, 0.0, true, QString()}},
        QStringLiteral("ablate"));
    ASSERT_TRUE(waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->interventions.size() == 1;
    }));
    const auto run = w.controller()->lastRun();
    const LogitLensSnapshot& lens = run->logitLens;
    const auto& top = run->predictions.rows.at(0);
    ASSERT_EQ(lens.prob.size(), static_cast<size_t>(run->layers));
    ASSERT_EQ(lens.baselineProb.size(), static_cast<size_t>(run->layers));
    EXPECT_EQ(lens.token, top.token);
    // The last layer's residual through the final norm and unembedding is the model's output.
    EXPECT_EQ(lens.prob.back(), top.prob);
    EXPECT_EQ(lens.baselineProb.back(), top.baselineProb);

    const int mid = run->layers / 2 - (run->layers > 1 ? 1 : 0);
    EXPECT_NEAR(lens.prob[mid],
                test::expectedLensProb(*runner, model.prompt, {ablated}, mid, top.id), 1e-5);
    EXPECT_NEAR(lens.baselineProb[mid],
                test::expectedLensProb(*runner, model.prompt, {}, mid, top.id), 1e-5);
    EXPECT_NE(lens.prob[mid], lens.baselineProb[mid]) << "the edit should show in the lens";

    std::vector<double> layers(lens.prob.size());
    std::iota(layers.begin(), layers.end(), 0.0);
    EXPECT_EQ(pointsOf(w.logitLensPlot()->probGraph()), pointsOf(layers, lens.prob));
    EXPECT_EQ(pointsOf(w.logitLensPlot()->baselineGraph()), pointsOf(layers, lens.baselineProb));
}

TEST_F(PlotsTest, AblationCurveOfTheAtlasScoreMatchesTheRuntime) {
    MainWindow w;
    open(w);
    const auto run = w.controller()->lastRun();
    const HeadScoresSnapshot scores = run->sinkScores;  // the atlas's live score
    ASSERT_EQ(w.atlasScore(), scores.metric);
    QSignalSpy finished(w.controller(), &AppController::ablationCurveFinished);
    QSignalSpy progress(w.controller(), &AppController::progressChanged);
    QTest::mouseClick(w.ablationCurveButton(), Qt::LeftButton);
    ASSERT_TRUE(finished.wait(120000)) << w.lastError().toStdString();
    const auto curve = finished.at(0).at(0).value<AblationCurveSnapshot>();
    EXPECT_GT(progress.count(), 1);

    const auto ranked = rankedHeads(scores);
    const size_t n = std::min<size_t>(16, ranked.size());
    ASSERT_EQ(curve.headsRemoved.size(), n + 1);
    ASSERT_EQ(curve.byScore.size(), n + 1);
    ASSERT_EQ(curve.random.size(), n + 1);
    ASSERT_EQ(curve.randomStd.size(), n + 1);
    // Point 0 is the unedited run: the predictions table's top baseline probability.
    const auto& top = run->predictions.rows.at(0);
    EXPECT_EQ(curve.byScore[0], top.baselineProb);
    EXPECT_EQ(curve.random[0], top.baselineProb);
    EXPECT_EQ(curve.randomStd[0], 0.0);
    const test::ExpectedRun unedited = runner->run(model.prompt, {});
    EXPECT_NEAR(curve.byScore[0], unedited.topProbs[0], 1e-6);
    // Point 1: the top-scored head ablated; point n: the n top-scored heads.
    const int64_t token = unedited.topIds[0];
    EXPECT_NEAR(curve.byScore[1], runner->run(model.prompt, {ranked[0]}).fullProbs[token], 1e-6);
    const std::vector<std::pair<int, int>> firstN(ranked.begin(), ranked.begin() + n);
    EXPECT_NEAR(curve.byScore[n], runner->run(model.prompt, firstN).fullProbs[token], 1e-6);
    for (size_t i = 0; i <= n; ++i) {
        EXPECT_EQ(curve.headsRemoved[i], static_cast<double>(i));
        EXPECT_GE(curve.random[i], 0.0);
        EXPECT_LE(curve.random[i], 1.0);
    }

    // The plot shows the snapshot, in the Plots dock's current tab.
    AblationCurvePlot* plot = w.ablationCurvePlot();
    EXPECT_EQ(pointsOf(plot->byScoreGraph()), pointsOf(curve.headsRemoved, curve.byScore));
    EXPECT_EQ(pointsOf(plot->randomGraph()), pointsOf(curve.headsRemoved, curve.random));
    EXPECT_TRUE(w.plotTabs()->currentWidget()->isAncestorOf(plot));
}

TEST_F(PlotsTest, AblationCurveSkipsUnscoredHeads) {
    MainWindow w;
    open(w);
    HeadScoresSnapshot scores = w.controller()->lastRun()->sinkScores;
    const auto ranked = rankedHeads(scores);
    ASSERT_GE(ranked.size(), 3u);
    // The best head is unscored: the curve must start with the second one.
    scores.values[ranked[0].first * scores.heads + ranked[0].second] = std::nan("");
    AblationCurveRequest request;
    request.scores = scores;
    request.maxHeads = 2;
    request.randomOrders = 0;
    QSignalSpy finished(w.controller(), &AppController::ablationCurveFinished);
    w.controller()->startAblationCurve(request);
    ASSERT_TRUE(finished.wait(120000)) << w.lastError().toStdString();
    const auto curve = finished.at(0).at(0).value<AblationCurveSnapshot>();
    ASSERT_EQ(curve.byScore.size(), 3u);
    EXPECT_TRUE(curve.random.empty());
    const int64_t token = runner->run(model.prompt, {}).topIds[0];
    EXPECT_NEAR(curve.byScore[1], runner->run(model.prompt, {ranked[1]}).fullProbs[token], 1e-6);
    EXPECT_NEAR(curve.byScore[2],
                runner->run(model.prompt, {ranked[1], ranked[2]}).fullProbs[token], 1e-6);
}

TEST_F(PlotsTest, AblationCurveCanBeCancelled) {
    MainWindow w;
    open(w);
    AblationCurveRequest request;
    request.scores = w.controller()->lastRun()->sinkScores;
    request.randomOrders = 2000;  // far more than the test waits for
    QSignalSpy cancelled(w.controller(), &AppController::ablationCurveCancelled);
    QSignalSpy finished(w.controller(), &AppController::ablationCurveFinished);
    double fraction = 0;
    QObject::connect(w.controller(), &AppController::progressChanged,
                     [&](const QString& task, double f, const QString&) {
                         if (task == QLatin1String("ablation curve")) fraction = f;
                     });
    w.controller()->startAblationCurve(request);
    ASSERT_TRUE(waitUntil([&] { return fraction > 0; }, 60000));
    EXPECT_TRUE(w.controller()->ablationCurveRunning());
    w.controller()->cancelAblationCurve();
    ASSERT_TRUE(cancelled.wait(10000));
    EXPECT_EQ(finished.count(), 0);
    EXPECT_FALSE(w.controller()->ablationCurveRunning());
    EXPECT_TRUE(w.ablationCurveButton()->isEnabled());
}

TEST_F(PlotsTest, ScatterPlotsTheAtlasScoreAgainstAnotherScore) {
    MainWindow w;
    open(w);
    QSignalSpy finished(w.controller(), &AppController::analysisFinished);
    AnalysisRequest request;
    request.metric = QStringLiteral("sink_mass");
    request.prompts << model.prompt;
    w.controller()->startAnalysis(request);
    ASSERT_TRUE(finished.wait(60000)) << w.lastError().toStdString();
    ASSERT_EQ(w.atlasScore(), QStringLiteral("sink_mass"));

    QComboBox* x = w.scatterXCombo();
    const int live = x->findData(QStringLiteral("sink (live)"));
    ASSERT_GE(live, 0);
    x->setCurrentIndex(live);
    const HeadScoresSnapshot* mass = nullptr;
    for (const HeadScoresSnapshot& r : w.controller()->results())
        if (r.metric == QLatin1String("sink_mass")) mass = &r;
    ASSERT_NE(mass, nullptr);
    const HeadScoresSnapshot& sink = w.controller()->lastRun()->sinkScores;
    ASSERT_EQ(sink.values.size(), mass->values.size());
    std::vector<std::pair<double, double>> expected;
    for (size_t i = 0; i < sink.values.size(); ++i)
        if (!std::isnan(sink.values[i]) && !std::isnan(mass->values[i]))
            expected.emplace_back(sink.values[i], mass->values[i]);
    auto drawn = pointsOf(w.scatterPlot()->pointsGraph());
    std::sort(expected.begin(), expected.end());
    std::sort(drawn.begin(), drawn.end());
    EXPECT_EQ(drawn, expected);

    // Back to the layer on the x axis: every point's x lies within 0.3 of its layer.
    x->setCurrentIndex(0);
    QPointF at;
    ASSERT_TRUE(w.scatterPlot()->pointOf({1, 2}, &at));
    EXPECT_NEAR(at.x(), 1.0, 0.3);
    EXPECT_EQ(at.y(), mass->values[static_cast<size_t>(1 * mass->heads + 2)]);
}

}  // namespace
}  // namespace attnscope::ui
