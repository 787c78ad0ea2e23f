// The heatmap's map views in the window against the runtime (expected_runs.cpp): the corrupted
// prompt's map and its labels, "prompt − corrupted", titles of the mean modes; and the
// predictions' CSV export keeping the baseline's tokens.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <optional>

#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/csv_export.h"
#include "attnscope/ui/heatmap_panel.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_model.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/qcustomplot_wrapper.h"
#include "attnscope/ui/token_strip_view.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::maxAbsDiff;
using test::waitUntil;

QStringList tickLabels(QCPAxis* axis) {
    auto ticker = axis->ticker().dynamicCast<QCPAxisTickerText>();
    return ticker ? ticker->ticks().values() : QStringList();
}

class MapViewsTest : public test::ExpectedRunTest {
protected:
    void open(MainWindow& w) {
        w.resize(1280, 800);
        w.setCorruptedPrompt(model.corruptedPrompt);
        ASSERT_TRUE(test::openAndRun(w, model));
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
        ASSERT_TRUE(w.controller()->lastRun()->corruptedPatterns) << "no corrupted run";
    }
};

TEST_F(MapViewsTest, CorruptedMapShowsTheCorruptedTokensAndPromptMinusCorrupted) {
    MainWindow w;
    open(w);
    const auto clean = runner->run(model.prompt, {});
    const auto corrupted = runner->run(model.corruptedPrompt, {});
    const int last = w.controller()->model().layers - 1;
    w.selectHead(last, 0);
    const auto run = w.controller()->lastRun();
    ASSERT_EQ(run->corruptedTokenLabels.size(), run->tokenLabels.size());
    int differs = -1;
    for (int i = 0; i < run->tokenLabels.size() && differs < 0; ++i)
        if (run->tokenLabels[i] != run->corruptedTokenLabels[i]) differs = i;
    ASSERT_GE(differs, 0) << "the test prompts differ in no token";

    // The corrupted prompt's map, with its own tokens on the axes and in the hover.
    w.setMapView(MainWindow::MapView::Corrupted);
    HeatmapView* map = w.heatmapView();
    EXPECT_LE(maxAbsDiff(map->tile().values, corrupted.map(last, 0)), 1e-6);
    EXPECT_TRUE(map->title().contains(QStringLiteral("corrupted"))) << map->title().toStdString();
    map->plot()->replot();
    const QString corruptedToken = run->corruptedTokenLabels[differs];
    const QString cleanToken = run->tokenLabels[differs];
    const QStringList xLabels = tickLabels(map->plot()->xAxis);
    EXPECT_TRUE(std::any_of(xLabels.begin(), xLabels.end(), [&](const QString& l) {
        return l.startsWith(QString::number(differs) + QLatin1Char(' ')) &&
               l.contains(corruptedToken.left(8));
    })) << xLabels.join(QLatin1Char('|')).toStdString();
    const QPoint cell(qRound(map->plot()->xAxis->coordToPixel(differs)),
                      qRound(map->plot()->yAxis->coordToPixel(run->length - 1)));
    QTest::mouseMove(map->plot(), cell);
    const QString readout = map->readoutText();
    EXPECT_TRUE(readout.contains(corruptedToken)) << readout.toStdString();
    EXPECT_FALSE(readout.contains(QStringLiteral(" ") + cleanToken + QStringLiteral(":")))
        << readout.toStdString();

    // Prompt − corrupted: the clean unedited map minus the corrupted one, named as such.
    w.setMapView(MainWindow::MapView::CorruptedDifference);
    std::vector<float> diff = clean.map(last, 0);
    const auto c = corrupted.map(last, 0);
    for (size_t i = 0; i < diff.size(); ++i)
        diff[i] -= c[i];
    EXPECT_TRUE(map->differenceMode());
    EXPECT_EQ(map->differenceKind(), HeatmapView::DifferenceKind::PromptMinusCorrupted);
    EXPECT_LE(maxAbsDiff(map->tile().values, diff), 1e-6);
    EXPECT_TRUE(map->title().contains(QStringLiteral("prompt \u2212 corrupted")))
        << map->title().toStdString();
    EXPECT_FALSE(map->title().contains(QStringLiteral("edited")));
    EXPECT_FALSE(map->colorScale()->axis()->label().contains(QStringLiteral("edited")));
    map->plot()->replot();
    const QStringList both = tickLabels(map->plot()->xAxis);
    EXPECT_TRUE(std::any_of(both.begin(), both.end(), [&](const QString& l) {
        return l.startsWith(QString::number(differs) + QLatin1Char(' ')) &&
               l.contains(QStringLiteral("\u2260")) && l.contains(cleanToken.left(4)) &&
               l.contains(corruptedToken.left(4));
    })) << both.join(QLatin1Char('|')).toStdString();

    // Edited − baseline is still called that.
    w.setMapView(MainWindow::MapView::Difference);
    EXPECT_EQ(map->differenceKind(), HeatmapView::DifferenceKind::EditedMinusBaseline);
    EXPECT_TRUE(map->title().contains(QStringLiteral("edited \u2212 baseline")));
}

TEST_F(MapViewsTest, MeanModesAreTitledWithoutAHeadNumber) {
    MainWindow w;
    open(w);
    w.selectHead(1, 2);
    w.setMapAverage(MapAverage::LayerHeads);
    QString title = w.heatmapView()->title();
    EXPECT_FALSE(title.contains(QStringLiteral("-1"))) << title.toStdString();
    EXPECT_TRUE(title.contains(QStringLiteral("Layer 1"))) << title.toStdString();
    EXPECT_TRUE(title.contains(QStringLiteral("mean"))) << title.toStdString();
    w.setMapAverage(MapAverage::AllHeads);
    title = w.heatmapView()->title();
    EXPECT_FALSE(title.contains(QStringLiteral("-1"))) << title.toStdString();
    EXPECT_FALSE(title.contains(QStringLiteral("head 2"))) << title.toStdString();
    EXPECT_TRUE(title.contains(QStringLiteral("all"))) << title.toStdString();
    w.setMapAverage(MapAverage::Head);
    EXPECT_EQ(w.heatmapView()->title(), QStringLiteral("Layer 1 \u00b7 head 2"));
}

// Ablating every head pushes baseline favourites out of the edited top 10: the CSV still lists
// them, with their edited and baseline probabilities.
TEST_F(MapViewsTest, PredictionsCsvKeepsTheBaselinesTokens) {
    MainWindow w;
    open(w);
    const int layers = w.controller()->model().layers;
    const int heads = w.controller()->model().heads;
    std::vector<std::pair<int, int>> all;
    InterventionList items;
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) {
            all.emplace_back(l, h);
            items.push_back({QStringLiteral("zero_ablation"), l, h, 0.0, true, QString()});
        }
    const auto base = runner->run(model.prompt, {});
    const auto edited = runner->run(model.prompt, all);
    std::vector<int64_t> ids = edited.topIds;
    for (int64_t id : base.topIds)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    ASSERT_GT(ids.size(), edited.topIds.size()) << "no baseline token left the top 10";

    w.editInterventions(items, QStringLiteral("ablate all"));
    ASSERT_TRUE(waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->interventions.size() == items.size() &&
               run->generation == w.controller()->runGeneration();
    }));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("predictions.csv"));
    QString error;
    ASSERT_TRUE(w.predictionsView()->exportCsv(path, &error)) << error.toStdString();
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QList<QStringList> rows = readCsv(f);
    ASSERT_EQ(rows.size(), static_cast<int>(ids.size()) + 1);  // with the header
    for (size_t r = 0; r < ids.size(); ++r) {
        const QStringList& row = rows[static_cast<int>(r) + 1];
        ASSERT_EQ(row.size(), PredictionsModel::ColumnCount);
        EXPECT_NEAR(row[PredictionsModel::ProbColumn].toDouble(), edited.fullProbs[ids[r]], 1e-6)
            << "row " << r;
        EXPECT_NEAR(row[PredictionsModel::BaselineColumn].toDouble(), base.fullProbs[ids[r]], 1e-6)
            << "row " << r;
    }
}

TEST_F(MapViewsTest, AtlasMarksEveryKindOfEdit) {
    MainWindow w;
    open(w);
    w.editInterventions({{QStringLiteral("zero_ablation"), 0, 0, 0.0, true, QString()},
                         {QStringLiteral("scale"), 0, 1, 0.5, true, QString()},
                         {QStringLiteral("mean_ablation"), 1, 0, 0.0, true, QString()},
                         {QStringLiteral("patch"), 1, 1, 0.0, true, QString()},
                         {QStringLiteral("scale"), 1, 2, 2.0, false, QString()}},
                        QStringLiteral("edits"));
    HeadAtlasView* atlas = w.atlasView();
    EXPECT_TRUE(atlas->isAblated({0, 0}));
    EXPECT_EQ(atlas->editBadges({0, 1}), QStringList{QStringLiteral("\u00d70.5")});
    EXPECT_EQ(atlas->editBadges({1, 0}), QStringList{QStringLiteral("mean")});
    EXPECT_EQ(atlas->editBadges({1, 1}), QStringList{QStringLiteral("patch")});
    EXPECT_TRUE(atlas->editBadges({1, 2}).isEmpty()) << "a disabled edit is not marked";
    w.editInterventions({}, QStringLiteral("clear"));
    EXPECT_FALSE(atlas->isAblated({0, 0}));
    EXPECT_TRUE(atlas->editBadges({0, 1}).isEmpty());
}

TEST_F(MapViewsTest, EmptyPromptRunsNothingAndSaysSo) {
    MainWindow w;
    open(w);
    const quint64 generation = w.controller()->runGeneration();
    for (const QString& empty : {QString(), QStringLiteral("  \n ")}) {
        w.setPrompt(empty);
        w.runPrompt();
        EXPECT_EQ(w.controller()->runGeneration(), generation) << "a run was started";
        EXPECT_FALSE(w.heatmapView()->tile().isValid());
        EXPECT_TRUE(w.heatmapView()->title().contains(QStringLiteral("Type a prompt")))
            << w.heatmapView()->title().toStdString();
        EXPECT_TRUE(w.statusText().contains(QStringLiteral("prompt is empty")))
            << w.statusText().toStdString();
    }
    // The controller refuses it too (an edit re-runs the current prompt).
    QSignalSpy failed(w.controller(), &AppController::runFailed);
    w.controller()->setPrompt(QString());
    w.controller()->runNow();
    ASSERT_EQ(failed.count(), 1);
    EXPECT_TRUE(failed[0][0].toString().contains(QStringLiteral("empty")));
}

// A word outside the vocabulary: the token strip marks it and the status bar names it.
TEST_F(MapViewsTest, WordsOutsideTheVocabularyAreMarkedAndNamed) {
    MainWindow w;
    open(w);
    if (!w.controller()->model().hasTokenizer) GTEST_SKIP() << "the test model has no tokenizer";
    const QString word = QStringLiteral("zzqxv");
    w.setPrompt(model.prompt + QLatin1Char(' ') + word);
    const quint64 before = w.controller()->runGeneration();
    w.runPrompt();
    ASSERT_TRUE(waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->generation > before;
    }));
    const TokensSnapshot& tokens = w.tokenStrip()->tokens();
    int marked = -1;
    for (size_t i = 0; i < tokens.tokens.size(); ++i)
        if (tokens.tokens[i].unknown) marked = static_cast<int>(i);
    ASSERT_GE(marked, 0) << "no token marked unknown";
    EXPECT_EQ(tokens.tokens[marked].source.trimmed(), word);
    EXPECT_TRUE(w.tokenStrip()->tokenToolTip(marked).contains(word));
    EXPECT_TRUE(w.statusText().contains(word)) << w.statusText().toStdString();
    EXPECT_TRUE(w.statusText().contains(QStringLiteral("not in the vocabulary")));
    // Known words are not marked.
    for (size_t i = 0; i < tokens.tokens.size(); ++i)
        if (static_cast<int>(i) != marked) {
            EXPECT_FALSE(tokens.tokens[i].unknown) << i;
        }
}

// The hover readout follows a change of head (the runtime's value of the new head), and a new
// prompt drops the row highlight.
TEST_F(MapViewsTest, HoverAndHighlightFollowTheHeadAndThePrompt) {
    MainWindow w;
    open(w);
    const auto clean = runner->run(model.prompt, {});
    const int n = w.controller()->lastRun()->length;
    const int last = w.controller()->model().layers - 1;
    w.selectHead(last, 0);
    HeatmapView* map = w.heatmapView();
    map->plot()->replot();
    const int q = n - 1, k = 0;
    const QPoint cell(qRound(map->plot()->xAxis->coordToPixel(k)),
                      qRound(map->plot()->yAxis->coordToPixel(q)));
    QTest::mouseMove(map->plot(), cell);
    QTest::mouseClick(map->plot(), Qt::LeftButton, {}, cell);
    ASSERT_EQ(map->highlightedRow(), q);
    auto shown = [&](int head) {
        return QString::number(clean.map(last, head)[static_cast<size_t>(q) * n + k], 'g', 4);
    };
    ASSERT_TRUE(map->readoutText().contains(shown(0))) << map->readoutText().toStdString();
    int other = 1;
    while (other < w.controller()->model().heads && shown(other) == shown(0))
        ++other;
    ASSERT_LT(other, w.controller()->model().heads) << "every head has the same weight there";
    w.selectHead(last, other);
    EXPECT_TRUE(map->readoutText().contains(shown(other))) << map->readoutText().toStdString();
    EXPECT_EQ(map->highlightedRow(), q);  // the same token of the same prompt

    w.setPrompt(model.corruptedPrompt);
    const quint64 before = w.controller()->runGeneration();
    w.runPrompt();
    ASSERT_TRUE(waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->generation > before;
    }));
    EXPECT_EQ(map->highlightedRow(), -1);
    EXPECT_TRUE(map->readoutText().isEmpty()) << map->readoutText().toStdString();
}

// A corrupted prompt of another length has no map to compare: the heatmap says why.
TEST_F(MapViewsTest, CorruptedPromptOfAnotherLengthIsExplained) {
    MainWindow w;
    open(w);
    const QString shorter = model.corruptedPrompt.left(model.corruptedPrompt.lastIndexOf(
        w.controller()->model().hasTokenizer ? QLatin1Char(' ') : QLatin1Char(',')));
    w.setCorruptedPrompt(shorter);
    const quint64 before = w.controller()->runGeneration();
    w.runPrompt();
    ASSERT_TRUE(waitUntil([&] {
        const auto run = w.controller()->lastRun();
        return run && run->generation > before;
    }));
    ASSERT_FALSE(w.controller()->lastRun()->corruptedPatterns);
    for (auto view : {MainWindow::MapView::Corrupted, MainWindow::MapView::CorruptedDifference}) {
        w.setMapView(view);
        EXPECT_FALSE(w.heatmapView()->tile().isValid());
        EXPECT_TRUE(w.heatmapView()->title().contains(QStringLiteral("same length")))
            << w.heatmapView()->title().toStdString();
    }
}

// RunSnapshot::tile() reads tiles straight from the shared patterns; every kind of map, zoomed
// or pooled, equals makeTile() over the whole map that map() copies out.
TEST(RunSnapshotTiles, EqualTilesOfTheWholeMap) {
    RunSnapshot run;
    run.layers = 2;
    run.heads = 3;
    run.length = 37;
    const size_t cells = static_cast<size_t>(run.length) * run.length;
    auto patterns = [&](unsigned seed) {
        auto p = std::make_shared<app::LayerPatterns>();
        for (int l = 0; l < run.layers; ++l) {
            std::vector<float> v(cells * run.heads);
            for (size_t i = 0; i < v.size(); ++i)
                v[i] = static_cast<float>((i * 2654435761u + seed * 97u + l * 31u) % 1000) / 1000.f;
            p->push_back(std::move(v));
        }
        return app::SharedPatterns(p);
    };
    run.patterns = patterns(1);
    run.baselinePatterns = patterns(2);
    run.corruptedPatterns = patterns(3);
    for (int i = 0; i < run.length; ++i) {
        run.tokenLabels << QStringLiteral("t%1").arg(i);
        run.corruptedTokenLabels << QStringLiteral("c%1").arg(i);
    }
    using Source = RunSnapshot::Source;
    struct Range {
        int q0, q1, k0, k1, cells;
    };
    const Range ranges[] = {
        {0, 37, 0, 37, 37}, {0, 37, 0, 37, 5}, {3, 20, 11, 30, 4}, {10, 12, 0, 37, 7}};
    for (MapAverage average : {MapAverage::Head, MapAverage::LayerHeads, MapAverage::AllHeads}) {
        for (const auto& [source, minus] :
             {std::pair<Source, std::optional<Source>>{Source::Edited, std::nullopt},
              {Source::Corrupted, std::nullopt},
              {Source::Edited, Source::Baseline},
              {Source::Baseline, Source::Corrupted}}) {
            const RunSnapshot::MapSpec spec{1, 2, average, source, minus};
            AttentionMapSnapshot whole = run.map(1, 2, average, source);
            if (minus) {
                const AttentionMapSnapshot b = run.map(1, 2, average, *minus);
                for (size_t i = 0; i < whole.values.size(); ++i)
                    whole.values[i] -= b.values[i];
            }
            for (const Range& r : ranges) {
                SCOPED_TRACE(testing::Message()
                             << "average " << static_cast<int>(average) << " source "
                             << static_cast<int>(source) << " minus " << minus.has_value()
                             << " range " << r.q0 << ":" << r.q1 << "x" << r.k0 << ":" << r.k1
                             << "/" << r.cells);
                const AttentionMapSnapshot want =
                    makeTile(whole, r.q0, r.q1, r.k0, r.k1, r.cells, r.cells,
                             minus ? TilePooling::MaxAbs : TilePooling::Max);
                const AttentionMapSnapshot got = run.tile(spec, r.q0, r.q1, r.k0, r.k1, r.cells);
                ASSERT_EQ(got.rows, want.rows);
                ASSERT_EQ(got.cols, want.cols);
                EXPECT_EQ(got.rowOffset, want.rowOffset);
                EXPECT_EQ(got.colExtent, want.colExtent);
                EXPECT_EQ(got.values, want.values);
                EXPECT_EQ(got.colTokens, want.colTokens);
            }
        }
    }
    // A missing source gives no tile.
    run.corruptedPatterns.reset();
    EXPECT_FALSE(
        run.tile({0, 0, MapAverage::Head, Source::Corrupted, std::nullopt}, 0, 37, 0, 37, 37)
            .isValid());
}

// With tiles on (as for a long prompt), the window's heatmap asks for the visible region and
// shows the runtime's values, also after zooming in.
TEST_F(MapViewsTest, TiledHeatmapShowsTheRuntimesMapsAndFollowsTheZoom) {
    MainWindow w;
    open(w);
    w.heatmapPanel()->setTiledFrom(1);
    const auto clean = runner->run(model.prompt, {});
    const auto corrupted = runner->run(model.corruptedPrompt, {});
    const int last = w.controller()->model().layers - 1;
    w.selectHead(last, 1);
    HeatmapView* map = w.heatmapView();
    ASSERT_TRUE(map->tiled());
    EXPECT_LE(maxAbsDiff(map->tile().values, clean.map(last, 1)), 1e-6);
    EXPECT_EQ(map->title(), QStringLiteral("Layer %1 \u00b7 head 1").arg(last));

    w.setMapView(MainWindow::MapView::CorruptedDifference);
    ASSERT_TRUE(map->tiled());
    EXPECT_TRUE(map->differenceMode());
    EXPECT_EQ(map->differenceKind(), HeatmapView::DifferenceKind::PromptMinusCorrupted);
    std::vector<float> diff = clean.map(last, 1);
    const auto c = corrupted.map(last, 1);
    for (size_t i = 0; i < diff.size(); ++i)
        diff[i] -= c[i];
    EXPECT_LE(maxAbsDiff(map->tile().values, diff), 1e-6);
    EXPECT_TRUE(map->title().contains(QStringLiteral("prompt \u2212 corrupted")));

    // Zoom into the lower right quarter: the view asks for that tile.
    w.setMapView(MainWindow::MapView::Edited);
    const int n = w.controller()->lastRun()->length;
    const int from = n / 2;
    map->plot()->xAxis->setRange(from - 0.5, n - 0.5);
    map->plot()->yAxis->setRange(from - 0.5, n - 0.5);
    ASSERT_TRUE(waitUntil([&] { return map->tile().rowOffset == from; }, 10000));
    const auto full = clean.map(last, 1);
    ASSERT_EQ(map->tile().rows, n - from);
    for (int q = from; q < n; ++q)
        for (int k = from; k < n; ++k)
            ASSERT_EQ(map->valueAt(q, k), full[static_cast<size_t>(q) * n + k]) << q << "," << k;
}

}  // namespace
}  // namespace attnscope::ui
