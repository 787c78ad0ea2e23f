#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace attnscope::ui;

namespace {

// A small causal map: row q spreads weight over keys 0..q (row sums are 1).
AttentionMapSnapshot causalMap(int n, int layer = 2, int head = 5) {
    AttentionMapSnapshot m;
    m.layer = layer;
    m.head = head;
    m.rows = m.cols = n;
    for (int q = 0; q < n; ++q) {
        m.rowTokens << QStringLiteral("t%1").arg(q);
        float sum = 0;
        for (int k = 0; k <= q; ++k)
            sum += static_cast<float>(k + 1);
        for (int k = 0; k < n; ++k)
            m.values.push_back(k <= q ? static_cast<float>(k + 1) / sum : 0.0f);
    }
    m.colTokens = m.rowTokens;
    return m;
}

double cell(const HeatmapView& view, int query, int key) {
    return view.colorMap()->data()->cell(key, query);
}

struct Shown {
    HeatmapView view;
    explicit Shown(QSize size = {640, 520}) {
        view.resize(size);
        view.show();
        view.plot()->replot();  // lays out the axis rect
    }
    QPoint pixelOf(int query, int key) const {
        return QPoint(qRound(view.plot()->xAxis->coordToPixel(key)),
                      qRound(view.plot()->yAxis->coordToPixel(query)));
    }
};

}  // namespace

TEST(HeatmapView, DataCellsEqualTheGivenWeights) {
    HeatmapView view;
    const AttentionMapSnapshot m = causalMap(7);
    view.setSnapshot(m);
    ASSERT_EQ(view.colorMap()->data()->keySize(), 7);
    ASSERT_EQ(view.colorMap()->data()->valueSize(), 7);
    float top = 0;
    for (int q = 0; q < 7; ++q) {
        for (int k = 0; k < 7; ++k) {
            EXPECT_EQ(cell(view, q, k), static_cast<double>(m.at(q, k)));
            top = std::max(top, m.at(q, k));
        }
    }
    EXPECT_EQ(view.colorMap()->dataRange().lower, 0.0);
    EXPECT_EQ(view.colorMap()->dataRange().upper, static_cast<double>(top));
    // Cell centres sit on integer positions, key on x, query on y.
    EXPECT_EQ(view.colorMap()->data()->keyRange().lower, 0.0);
    EXPECT_EQ(view.colorMap()->data()->keyRange().upper, 6.0);
    EXPECT_TRUE(view.plot()->yAxis->rangeReversed());
}

TEST(HeatmapView, LogToggleWritesLog10OfWeightsAndBack) {
    HeatmapView view;
    const AttentionMapSnapshot m = causalMap(5);
    view.setSnapshot(m);
    QSignalSpy spy(&view, &HeatmapView::logScaleChanged);
    view.setLogScale(true);
    EXPECT_EQ(spy.count(), 1);
    for (int q = 0; q < 5; ++q) {
        for (int k = 0; k < 5; ++k) {
            const double w = m.at(q, k);
            const double expected = std::log10(w > 1e-6 ? w : 1e-6);  // zeros go to -6
            EXPECT_DOUBLE_EQ(cell(view, q, k), expected);
        }
    }
    EXPECT_DOUBLE_EQ(cell(view, 0, 4), -6.0);
    view.setLogScale(false);
    for (int q = 0; q < 5; ++q)
        for (int k = 0; k < 5; ++k)
            EXPECT_EQ(cell(view, q, k), static_cast<double>(m.at(q, k)));
}

TEST(HeatmapView, LogCheckboxDrivesLogScale) {
    HeatmapView view;
    view.setSnapshot(causalMap(3));
    auto* box = view.findChild<QCheckBox*>();
    ASSERT_NE(box, nullptr);
    box->setChecked(true);
    EXPECT_TRUE(view.logScale());
    EXPECT_DOUBLE_EQ(cell(view, 0, 0), 0.0);  // log10(1)
}

TEST(HeatmapView, DifferenceModeIsEditedMinusBaselineOnSymmetricRange) {
    HeatmapView view;
    const AttentionMapSnapshot baseline = causalMap(6);
    AttentionMapSnapshot edited = baseline;
    edited.values[6 * 5 + 0] += 0.3f;   // query 5, key 0 gains
    edited.values[6 * 5 + 5] -= 0.05f;  // query 5, key 5 loses
    view.setDifference(edited, baseline);
    EXPECT_TRUE(view.differenceMode());
    double largest = 0;
    for (int q = 0; q < 6; ++q) {
        for (int k = 0; k < 6; ++k) {
            const float d = edited.at(q, k) - baseline.at(q, k);
            EXPECT_EQ(cell(view, q, k), static_cast<double>(d));
            largest = std::max(largest, std::abs(static_cast<double>(d)));
        }
    }
    const QCPRange range = view.colorMap()->dataRange();
    EXPECT_EQ(range.upper, largest);
    EXPECT_EQ(range.lower, -largest);
    // Zero difference is drawn white; gains red, losses blue.
    QCPColorGradient gradient = view.colorMap()->gradient();
    const QColor zero = QColor::fromRgb(gradient.color(0.0, range));
    EXPECT_GE(std::min({zero.red(), zero.green(), zero.blue()}), 245);
    const QColor gain = QColor::fromRgb(gradient.color(largest, range));
    EXPECT_GT(gain.red(), gain.blue());
    const QColor loss = QColor::fromRgb(gradient.color(-largest, range));
    EXPECT_GT(loss.blue(), loss.red());
    // The log toggle does not apply to differences.
    view.setLogScale(true);
    EXPECT_EQ(cell(view, 5, 0), static_cast<double>(edited.at(5, 0) - baseline.at(5, 0)));
    // Back to a plain map leaves difference mode.
    view.setLogScale(false);
    view.setSnapshot(baseline);
    EXPECT_FALSE(view.differenceMode());
    EXPECT_EQ(cell(view, 5, 0), static_cast<double>(baseline.at(5, 0)));
}

TEST(HeatmapView, HoverReportsQueryKeyAndWeight) {
    Shown s;
    const AttentionMapSnapshot m = causalMap(8);
    s.view.setSnapshot(m);
    s.view.plot()->replot();
    QSignalSpy spy(&s.view, &HeatmapView::cellHovered);
    QTest::mouseMove(s.view.plot(), s.pixelOf(6, 3));
    ASSERT_EQ(spy.count(), 1);
    EXPECT_EQ(spy[0][0].toInt(), 6);
    EXPECT_EQ(spy[0][1].toInt(), 3);
    EXPECT_EQ(spy[0][2].toDouble(), static_cast<double>(m.at(6, 3)));
    const QString text = s.view.readoutText();
    EXPECT_TRUE(text.contains(QStringLiteral("t6"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QStringLiteral("t3"))) << text.toStdString();
    EXPECT_TRUE(text.contains(QString::number(m.at(6, 3), 'g', 4))) << text.toStdString();
}

TEST(HeatmapView, ClickOnCellEmitsAndHighlightsRowAndColumn) {
    Shown s;
    s.view.setSnapshot(causalMap(8));
    s.view.plot()->replot();
    QSignalSpy spy(&s.view, &HeatmapView::cellClicked);
    QTest::mouseClick(s.view.plot(), Qt::LeftButton, {}, s.pixelOf(4, 1));
    ASSERT_EQ(spy.count(), 1);
    EXPECT_EQ(spy[0][0].toInt(), 4);
    EXPECT_EQ(spy[0][1].toInt(), 1);
    EXPECT_EQ(s.view.highlightedRow(), 4);
    EXPECT_EQ(s.view.highlightedColumn(), 1);

    // A click on the query labels left of the map selects the row only.
    const QRect ar = s.view.plot()->axisRect()->rect();
    const QPoint onLabel(ar.left() - 12, s.pixelOf(2, 0).y());
    QTest::mouseClick(s.view.plot(), Qt::LeftButton, {}, onLabel);
    ASSERT_EQ(spy.count(), 2);
    EXPECT_EQ(spy[1][0].toInt(), 2);
    EXPECT_EQ(spy[1][1].toInt(), -1);
    EXPECT_EQ(s.view.highlightedRow(), 2);
    EXPECT_EQ(s.view.highlightedColumn(), -1);
}

TEST(HeatmapView, TokenLabelsAreThinnedToFit) {
    Shown s({500, 400});
    s.view.setSnapshot(causalMap(400));
    s.view.plot()->replot();
    auto ticker = s.view.plot()->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    ASSERT_TRUE(ticker);
    const int labels = ticker->ticks().size();
    EXPECT_GT(labels, 1);
    const int pixels = s.view.plot()->axisRect()->height();
    const int lineHeight = QFontMetrics(s.view.plot()->yAxis->tickLabelFont()).height();
    EXPECT_LE(labels * lineHeight, pixels);
    EXPECT_TRUE(ticker->ticks().first().contains(QStringLiteral("t0")));
    // Zoomed in to 10 rows every row is labelled.
    s.view.plot()->yAxis->setRange(99.5, 109.5);
    s.view.plot()->replot();
    EXPECT_EQ(ticker->ticks().size(), 10);
}

TEST(HeatmapView, TileProviderIsAskedForTheVisibleRegion) {
    Shown s;
    const int queries = 3000;
    const int keys = 2500;
    auto weight = [](int q, int k) {
        return static_cast<float>((q * 31 + k * 17) % 1000) / 1000.f;
    };
    struct Call {
        int q0, q1, k0, k1, cells;
    };
    std::vector<Call> calls;
    auto provider = [&](int q0, int q1, int k0, int k1, int cells) {
        calls.push_back({q0, q1, k0, k1, cells});
        AttentionMapSnapshot t;
        t.rows = std::min(q1 - q0, cells);
        t.cols = std::min(k1 - k0, cells);
        t.rowOffset = q0;
        t.colOffset = k0;
        t.rowExtent = q1 - q0;
        t.colExtent = k1 - k0;
        // Sample the first source cell of each bin; exact when not downsampled.
        for (int r = 0; r < t.rows; ++r)
            for (int c = 0; c < t.cols; ++c)
                t.values.push_back(
                    weight(q0 + r * t.rowExtent / t.rows, k0 + c * t.colExtent / t.cols));
        return t;
    };
    QSignalSpy ranges(&s.view, &HeatmapView::visibleRangeChanged);
    s.view.setTileProvider(queries, keys, provider);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].q0, 0);
    EXPECT_EQ(calls[0].q1, queries);
    EXPECT_EQ(calls[0].k1, keys);
    EXPECT_EQ(calls[0].cells, s.view.maxTileCells());
    EXPECT_LE(s.view.colorMap()->data()->keySize(), calls[0].cells);
    ASSERT_EQ(ranges.count(), 1);
    EXPECT_EQ(ranges[0][1].toInt(), queries);

    // Zoom to rows 1200..1259, keys 700..739: the next tile is exact.
    s.view.plot()->xAxis->setRange(699.5, 739.5);
    s.view.plot()->yAxis->setRange(1199.5, 1259.5);
    ASSERT_TRUE(ranges.wait(2000));
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].q0, 1200);
    EXPECT_EQ(calls[1].q1, 1260);
    EXPECT_EQ(calls[1].k0, 700);
    EXPECT_EQ(calls[1].k1, 740);
    EXPECT_EQ(cell(s.view, 1230 - 1200, 705 - 700), static_cast<double>(weight(1230, 705)));
    EXPECT_EQ(s.view.valueAt(1230, 705), static_cast<double>(weight(1230, 705)));

    // Hover reports full-map coordinates.
    s.view.plot()->replot();
    QSignalSpy hover(&s.view, &HeatmapView::cellHovered);
    QTest::mouseMove(s.view.plot(), s.pixelOf(1250, 720));
    ASSERT_EQ(hover.count(), 1);
    EXPECT_EQ(hover[0][0].toInt(), 1250);
    EXPECT_EQ(hover[0][1].toInt(), 720);
    EXPECT_EQ(hover[0][2].toDouble(), static_cast<double>(weight(1250, 720)));
}

TEST(HeatmapView, ZoomAndPanStayInsideTheMap) {
    Shown s;
    s.view.setSnapshot(causalMap(20));
    EXPECT_TRUE(s.view.plot()->interactions().testFlag(QCP::iRangeDrag));
    EXPECT_TRUE(s.view.plot()->interactions().testFlag(QCP::iRangeZoom));
    s.view.plot()->xAxis->setRange(-50, 3);
    EXPECT_DOUBLE_EQ(s.view.plot()->xAxis->range().lower, -0.5);
    s.view.plot()->yAxis->setRange(-100, 400);
    EXPECT_DOUBLE_EQ(s.view.plot()->yAxis->range().lower, -0.5);
    EXPECT_DOUBLE_EQ(s.view.plot()->yAxis->range().upper, 19.5);
}

TEST(HeatmapView, LargeMapsAreMaxPooledToScreenAndExactWhenZoomed) {
    Shown s({500, 400});
    const int n = 1500;
    AttentionMapSnapshot m;
    m.rows = m.cols = n;
    m.values.assign(static_cast<size_t>(n) * n, 0.001f);
    m.values[static_cast<size_t>(900) * n + 333] = 0.75f;  // one strong weight
    m.values[static_cast<size_t>(901) * n + 334] = 0.5f;
    s.view.setSnapshot(m);
    QCPColorMapData* data = s.view.colorMap()->data();
    EXPECT_LE(data->keySize(), s.view.maxTileCells());
    EXPECT_LT(data->keySize(), n);
    double top = 0;
    for (int k = 0; k < data->keySize(); ++k)
        for (int q = 0; q < data->valueSize(); ++q)
            top = std::max(top, data->cell(k, q));
    EXPECT_EQ(top, 0.75);  // max-pooling keeps the single strong weight
    EXPECT_EQ(s.view.valueAt(900, 333), 0.75);

    QSignalSpy ranges(&s.view, &HeatmapView::visibleRangeChanged);
    s.view.plot()->xAxis->setRange(319.5, 349.5);
    s.view.plot()->yAxis->setRange(889.5, 909.5);
    ASSERT_TRUE(ranges.wait(2000));
    EXPECT_EQ(s.view.tile().rowOffset, 890);
    EXPECT_EQ(s.view.tile().colOffset, 320);
    EXPECT_EQ(cell(s.view, 901 - 890, 334 - 320), 0.5);
    EXPECT_EQ(cell(s.view, 900 - 890, 334 - 320), static_cast<double>(0.001f));
}

TEST(HeatmapView, AsynchronousSupplierAnswersVisibleRangeWithSetTile) {
    Shown s;
    QSignalSpy ranges(&s.view, &HeatmapView::visibleRangeChanged);
    s.view.setTileProvider(500, 400, nullptr);
    ASSERT_EQ(ranges.count(), 1);
    EXPECT_EQ(ranges[0][0].toInt(), 0);
    EXPECT_EQ(ranges[0][1].toInt(), 500);
    EXPECT_EQ(ranges[0][2].toInt(), 0);
    EXPECT_EQ(ranges[0][3].toInt(), 400);
    EXPECT_EQ(s.view.colorMap()->data()->keySize(), 0);  // nothing until a tile arrives

    AttentionMapSnapshot full;
    full.rows = 500;
    full.cols = 400;
    for (int i = 0; i < 500 * 400; ++i)
        full.values.push_back(static_cast<float>(i % 97) / 97.f);
    const int cells = ranges[0][4].toInt();
    const AttentionMapSnapshot tile = makeTile(full, 0, 500, 0, 400, cells);
    s.view.setTile(tile);
    ASSERT_EQ(s.view.colorMap()->data()->keySize(), tile.cols);
    EXPECT_EQ(cell(s.view, 3, 7), static_cast<double>(tile.at(3, 7)));
    EXPECT_EQ(s.view.queryCount(), 500);
    EXPECT_EQ(s.view.keyCount(), 400);
}

TEST(HeatmapView, TitlesNameTheHeadOrTheMeanAndTheComparison) {
    HeatmapView view;
    view.setSnapshot(causalMap(4, 2, 5));
    EXPECT_EQ(view.title(), QStringLiteral("Layer 2 \u00b7 head 5"));
    AttentionMapSnapshot layerMean = causalMap(4, 3, -1);
    view.setSnapshot(layerMean);
    EXPECT_FALSE(view.title().contains(QStringLiteral("-1"))) << view.title().toStdString();
    EXPECT_TRUE(view.title().contains(QStringLiteral("Layer 3"))) << view.title().toStdString();
    EXPECT_TRUE(view.title().contains(QStringLiteral("mean"))) << view.title().toStdString();
    view.setSnapshot(causalMap(4, -1, -1));
    EXPECT_FALSE(view.title().contains(QStringLiteral("-1"))) << view.title().toStdString();
    EXPECT_TRUE(view.title().contains(QStringLiteral("all heads"))) << view.title().toStdString();
    // A caption given with the map wins.
    AttentionMapSnapshot titled = causalMap(4);
    titled.title = QStringLiteral("Layer 2 \u00b7 mean of its 8 heads \u00b7 baseline");
    view.setSnapshot(titled);
    EXPECT_EQ(view.title(), titled.title);
    // Exports are titled with the map and its mode.
    EXPECT_TRUE(view.exportTitle().startsWith(titled.title));
    view.setLogScale(true);
    EXPECT_TRUE(view.exportTitle().contains(QStringLiteral("log10")));
    view.setDifference(titled, titled);
    EXPECT_TRUE(view.exportTitle().contains(QStringLiteral("edited \u2212 baseline")));
}

TEST(HeatmapView, PromptMinusCorruptedIsNamedAndColouredApartFromEdits) {
    HeatmapView view;
    const AttentionMapSnapshot clean = causalMap(6);
    AttentionMapSnapshot corrupted = clean;
    corrupted.values[6 * 5 + 0] += 0.3f;
    view.setDifference(clean, corrupted, HeatmapView::DifferenceKind::EditedMinusBaseline);
    const QString editLabel = QStringLiteral("edited \u2212 baseline");
    EXPECT_TRUE(view.title().contains(editLabel));
    EXPECT_TRUE(view.colorScale()->axis()->label().contains(editLabel));
    const QCPRange range = view.colorMap()->dataRange();
    const QColor editLoss = QColor::fromRgb(view.colorMap()->gradient().color(range.lower, range));

    view.setDifference(clean, corrupted, HeatmapView::DifferenceKind::PromptMinusCorrupted);
    const QString label = QStringLiteral("prompt \u2212 corrupted");
    EXPECT_TRUE(view.title().contains(label)) << view.title().toStdString();
    EXPECT_FALSE(view.title().contains(editLabel));
    EXPECT_TRUE(view.colorScale()->axis()->label().contains(label));
    EXPECT_FALSE(view.colorScale()->axis()->label().contains(QStringLiteral("edited")));
    EXPECT_EQ(cell(view, 5, 0), static_cast<double>(clean.at(5, 0) - corrupted.at(5, 0)));
    // Another palette (still white at 0): the two comparisons never look alike.
    QCPColorGradient gradient = view.colorMap()->gradient();
    const QColor zero = QColor::fromRgb(gradient.color(0.0, view.colorMap()->dataRange()));
    EXPECT_GE(std::min({zero.red(), zero.green(), zero.blue()}), 245);
    const QColor loss = QColor::fromRgb(gradient.color(range.lower, range));
    EXPECT_NE(loss, editLoss);
    EXPECT_GT(loss.red(), loss.green());  // purple for the corrupted prompt's gains
}

TEST(HeatmapView, HoverReadoutFollowsTheMapAndAnotherPromptDropsHighlights) {
    Shown s;
    AttentionMapSnapshot first = causalMap(8);
    s.view.setSnapshot(first);
    s.view.plot()->replot();
    QTest::mouseMove(s.view.plot(), s.pixelOf(6, 3));
    QTest::mouseClick(s.view.plot(), Qt::LeftButton, {}, s.pixelOf(6, 3));
    ASSERT_EQ(s.view.highlightedRow(), 6);
    ASSERT_TRUE(s.view.readoutText().contains(QString::number(first.at(6, 3), 'g', 4)));

    // Another head of the same prompt: the readout shows the new map's value there.
    AttentionMapSnapshot other = causalMap(8, 3, 1);
    for (float& v : other.values)
        v *= 0.5f;
    s.view.setSnapshot(other);
    const QString text = s.view.readoutText();
    EXPECT_TRUE(text.contains(QString::number(other.at(6, 3), 'g', 4))) << text.toStdString();
    EXPECT_FALSE(text.contains(QString::number(first.at(6, 3), 'g', 4))) << text.toStdString();
    EXPECT_EQ(s.view.highlightedRow(), 6);

    // Another prompt (other tokens): no highlight and no readout of the old tokens.
    AttentionMapSnapshot prompt = causalMap(8);
    for (QString& t : prompt.rowTokens)
        t = QStringLiteral("u") + t;
    prompt.colTokens = prompt.rowTokens;
    s.view.setSnapshot(prompt);
    EXPECT_EQ(s.view.highlightedRow(), -1);
    EXPECT_EQ(s.view.highlightedColumn(), -1);
    EXPECT_TRUE(s.view.readoutText().isEmpty()) << s.view.readoutText().toStdString();
}

// A one-token map is one cell of the weight's colour, not a white square.
TEST(HeatmapView, OneTokenMapIsDrawn) {
    Shown s;
    AttentionMapSnapshot one;
    one.layer = 0;
    one.head = 0;
    one.rows = one.cols = 1;
    one.values = {1.0f};
    one.rowTokens = one.colTokens = QStringList{QStringLiteral("<bos>")};
    s.view.setSnapshot(one);
    s.view.plot()->replot();
    const QImage image = s.view.plot()->toPixmap().toImage();
    const QColor shown = image.pixelColor(s.pixelOf(0, 0) * image.devicePixelRatio());
    QCPColorGradient gradient = s.view.colorMap()->gradient();
    const QColor want = QColor::fromRgb(gradient.color(1.0, s.view.colorMap()->dataRange()));
    EXPECT_NEAR(shown.red(), want.red(), 3);
    EXPECT_NEAR(shown.green(), want.green(), 3);
    EXPECT_NEAR(shown.blue(), want.blue(), 3);
    EXPECT_EQ(s.view.valueAt(0, 0), 1.0);
}
