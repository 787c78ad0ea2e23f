// The window at 1280 x 800, the smallest screen it is laid out for: plots and tables get room
// to be read, columns fit their contents, and a metric with many parameters does not squeeze
// the heatmap.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QDockWidget>
#include <QHeaderView>
#include <QScreen>
#include <QScrollBar>
#include <QTabWidget>
#include <QTableView>

#include <algorithm>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/atlas_panel.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/metric_descriptor.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/qcustomplot_wrapper.h"
#include "expected_runs.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

class LayoutTest : public test::AppModelTest {
protected:
    void open(MainWindow& w) {
        w.resize(1280, 800);
        ASSERT_TRUE(test::openAndRun(w, model));
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
        ASSERT_TRUE(test::waitUntil([&] { return w.heatmapView()->tile().isValid(); }));
        test::settleLayout();
    }
    // Every column at least as wide as its contents (and header) ask for.
    static void expectColumnsFit(QTableView* table, const char* name) {
        const int columns = table->model()->columnCount();
        for (int c = 0; c < columns; ++c) {
            const int want = std::max(static_cast<QAbstractItemView*>(table)->sizeHintForColumn(c),
                                      table->horizontalHeader()->sectionSizeHint(c));
            EXPECT_GE(table->columnWidth(c), want) << name << " column " << c;
        }
        EXPECT_FALSE(table->horizontalScrollBar()->isVisible()) << name;
    }
};

TEST_F(LayoutTest, PlotsAndTablesAreLegibleAt1280x800) {
    MainWindow w;
    open(w);
    ASSERT_EQ(w.size(), QSize(1280, 800));
    // The plots: a tab of the bottom area, as wide as half the window and tall enough for
    // an axis with labels.
    QWidget* plots = w.plotTabs()->currentWidget();
    ASSERT_TRUE(plots->isVisible());
    EXPECT_GE(plots->height(), 180);
    EXPECT_GE(plots->width(), 500);
    // The heatmap keeps most of the centre.
    const QRect map = w.heatmapView()->plot()->axisRect()->rect();
    EXPECT_GE(map.height(), 250);
    EXPECT_GE(map.width(), 250);
    // Predictions show at least eight rows with every column whole.
    auto* predictions = w.predictionsView()->findChild<QTableView*>();
    ASSERT_NE(predictions, nullptr);
    ASSERT_TRUE(predictions->isVisible());
    EXPECT_GE(predictions->viewport()->height(), 8 * predictions->rowHeight(0));
    expectColumnsFit(predictions, "predictions");
    QTableView* scores = w.atlasPanel()->table();
    ASSERT_TRUE(scores->isVisible());
    EXPECT_GE(scores->viewport()->height(), 3 * scores->rowHeight(0));
    expectColumnsFit(scores, "scores");
    // The atlas cells are large enough to click.
    const QRectF cell = w.atlasView()->cellRect({0, 0});
    EXPECT_GE(cell.width(), 16);
    EXPECT_GE(cell.height(), 16);
}

// The window opens no larger than the screen (it was 1400 x 900 everywhere).
TEST_F(LayoutTest, DefaultSizeFitsTheScreen) {
    MainWindow w;
    const QSize screen = w.screen()->availableGeometry().size();
    EXPECT_LE(w.width(), screen.width());
    EXPECT_LE(w.height(), screen.height());
    EXPECT_EQ(w.size(), QSize(1400, 900).boundedTo(screen));
}

TEST_F(LayoutTest, ManyParametersDoNotSqueezeTheHeatmap) {
    MainWindow w;
    open(w);
    auto* dock = qobject_cast<QDockWidget*>(w.analysisPanel()->parentWidget());
    ASSERT_NE(dock, nullptr);
    dock->raise();
    test::settleLayout();
    const int before = w.heatmapView()->height();
    const std::vector<MetricDescriptor> metrics = metricCatalog();
    const auto most = std::max_element(
        metrics.begin(), metrics.end(),
        [](const auto& a, const auto& b) { return a.params.size() < b.params.size(); });
    ASSERT_NE(most, metrics.end());
    ASSERT_GE(most->params.size(), 4u) << "no metric with many parameters";
    ASSERT_TRUE(w.analysisPanel()->setMetric(most->name));
    test::settleLayout();
    EXPECT_GE(w.heatmapView()->height(), before - 2) << most->name.toStdString();
    EXPECT_GE(w.heatmapView()->plot()->axisRect()->rect().height(), 250);
    // The parameters scroll inside the panel instead.
    EXPECT_LE(w.analysisPanel()->height(), w.height() / 2);
}

}  // namespace
}  // namespace attnscope::ui
