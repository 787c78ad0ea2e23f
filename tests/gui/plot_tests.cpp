#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/logit_lens_plot.h"
#include "attnscope/ui/plot_export.h"
#include "attnscope/ui/plot_export_dialog.h"
#include "attnscope/ui/qcustomplot_wrapper.h"
#include "attnscope/ui/score_histogram_plot.h"
#include "attnscope/ui/score_scatter_plot.h"
#include "attnscope/ui/sink_mass_plot.h"

#include <gtest/gtest.h>

#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace attnscope::ui;

namespace {

template <typename Container>
std::vector<double> values(const Container& data) {
    std::vector<double> out;
    for (auto it = data->constBegin(); it != data->constEnd(); ++it)
        out.push_back(it->mainValue());
    return out;
}

}  // namespace

TEST(SinkMassPlot, OneBarPerLayerAndBaseline) {
    SinkMassPlot plot;
    const std::vector<double> mass = {0.9, 0.6, 0.05, 0.3};
    const std::vector<double> base = {0.8, 0.7, 0.1, 0.3};
    plot.setSinkMass(mass, base);
    EXPECT_EQ(values(plot.bars()->data()), mass);
    EXPECT_EQ(values(plot.baselineBars()->data()), base);
    EXPECT_TRUE(plot.baselineBars()->visible());
    plot.setSinkMass(mass);
    EXPECT_FALSE(plot.baselineBars()->visible());
}

TEST(PlotExport, PngHasTheRequestedSizeAndPdfAndSvgAreTheirFormats) {
    SinkMassPlot plot;
    plot.setSinkMass({0.9, 0.6, 0.05, 0.3});
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("sink.png"));
    QString error;
    ASSERT_TRUE(plot.exportTo(png, 640, 360, &error)) << error.toStdString();
    EXPECT_GT(QFileInfo(png).size(), 0);
    const QImage image(png);
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.size(), QSize(640, 360));

    const QString pdf = dir.filePath(QStringLiteral("sink.pdf"));
    ASSERT_TRUE(plot.exportTo(pdf, 640, 360, &error)) << error.toStdString();
    QFile file(pdf);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_EQ(file.read(5), QByteArray("%PDF-"));

    // SVG: an XML document of the requested size that holds the axis label's text.
    plot.plot()->xAxis->setLabel(QStringLiteral("layerlabel"));
    const QString svg = dir.filePath(QStringLiteral("sink.svg"));
    ASSERT_TRUE(plot.exportTo(svg, 640, 360, &error)) << error.toStdString();
    QFile svgFile(svg);
    ASSERT_TRUE(svgFile.open(QIODevice::ReadOnly));
    const QByteArray text = svgFile.readAll();
    EXPECT_TRUE(text.startsWith("<?xml")) << text.left(40).toStdString();
    EXPECT_TRUE(text.contains("<svg"));
    EXPECT_TRUE(text.contains("viewBox=\"0 0 640 360\"")) << text.left(400).toStdString();
    EXPECT_TRUE(text.contains("layerlabel"));

    EXPECT_FALSE(plot.exportTo(dir.filePath(QStringLiteral("sink.gif")), 0, 0, &error));
    EXPECT_TRUE(error.contains(QStringLiteral("gif"))) << error.toStdString();
    EXPECT_EQ(supportedPlotFormats(),
              (QStringList{QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")}));
}

TEST(ScoreHistogramPlot, CountsHeadsPerBin) {
    // 0.0, 0.1, ..., 1.0 in 5 bins of width 0.2: [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1]
    std::vector<double> v;
    for (int i = 0; i <= 10; ++i)
        v.push_back(i / 10.0);
    v.push_back(std::numeric_limits<double>::quiet_NaN());
    double lo = 0, hi = 0;
    EXPECT_EQ(ScoreHistogramPlot::histogram(v, 5, &lo, &hi), (std::vector<int>{2, 2, 2, 2, 3}));
    EXPECT_EQ(lo, 0.0);
    EXPECT_EQ(hi, 1.0);

    ScoreHistogramPlot plot;
    plot.setScores(HeadScoresSnapshot{QStringLiteral("s"), 3, 4, v, {}, {}}, 5);
    EXPECT_EQ(values(plot.bars()->data()), (std::vector<double>{2, 2, 2, 2, 3}));
    EXPECT_DOUBLE_EQ(plot.bars()->width(), 0.2);
}

TEST(ScoreScatterPlot, ClickOnAPointSelectsItsHead) {
    ScoreScatterPlot plot;
    HeadScoresSnapshot x{QStringLiteral("retrieval"), 3, 4, {}, {}, {}};
    HeadScoresSnapshot y{QStringLiteral("sink"), 3, 4, {}, {}, {}};
    for (int i = 0; i < 12; ++i) {
        x.values.push_back(i * 0.08);
        y.values.push_back(std::fmod(i * 0.37, 1.0));
    }
    plot.setScores(x, y);
    plot.resize(500, 400);
    plot.show();
    plot.plot()->replot();
    QSignalSpy clicked(&plot, &ScoreScatterPlot::headClicked);
    const QPoint at(qRound(plot.plot()->xAxis->coordToPixel(x.at(1, 2))),
                    qRound(plot.plot()->yAxis->coordToPixel(y.at(1, 2))));
    QTest::mouseClick(plot.plot(), Qt::LeftButton, {}, at);
    ASSERT_EQ(clicked.count(), 1);
    EXPECT_EQ(clicked[0][0].toInt(), 1);
    EXPECT_EQ(clicked[0][1].toInt(), 2);
    EXPECT_EQ(plot.selectedHead(), (HeadRef{1, 2}));
    // Far from every point: nothing.
    const QRect ar = plot.plot()->axisRect()->rect();
    QTest::mouseClick(plot.plot(), Qt::LeftButton, {}, ar.topLeft() + QPoint(2, 2));
    EXPECT_EQ(clicked.count(), 1);
}

TEST(AblationCurvePlot, ByScoreAndRandomLines) {
    AblationCurvePlot plot;
    AblationCurveSnapshot c;
    c.metric = QStringLiteral("logit diff");
    c.score = QStringLiteral("retrieval");
    c.headsRemoved = {0, 1, 2, 4, 8};
    c.byScore = {3.0, 2.0, 1.2, 0.4, 0.1};
    c.random = {3.0, 2.9, 2.85, 2.7, 2.4};
    c.randomStd = {0, 0.1, 0.1, 0.2, 0.3};
    plot.setCurve(c);
    EXPECT_EQ(values(plot.byScoreGraph()->data()), c.byScore);
    EXPECT_EQ(values(plot.randomGraph()->data()), c.random);
    EXPECT_EQ(plot.plot()->yAxis->label(), c.metric);
    EXPECT_TRUE(plot.byScoreGraph()->name().contains(c.score));
}

TEST(LogitLensPlot, ProbabilityPerLayer) {
    LogitLensPlot plot;
    LogitLensSnapshot lens{QStringLiteral(" Paris"), {0.01, 0.02, 0.2, 0.6, 0.9}, {}};
    plot.setSnapshot(lens);
    EXPECT_EQ(values(plot.probGraph()->data()), lens.prob);
    EXPECT_FALSE(plot.baselineGraph()->visible());
    lens.baselineProb = {0.01, 0.03, 0.3, 0.7, 0.95};
    plot.setSnapshot(lens);
    EXPECT_EQ(values(plot.baselineGraph()->data()), lens.baselineProb);
    EXPECT_TRUE(plot.baselineGraph()->visible());
}

TEST(PlotExport, SizeDpiAndTitleAreTheCallersChoice) {
    SinkMassPlot plot;
    plot.resize(300, 200);
    plot.setSinkMass({0.9, 0.6, 0.05, 0.3});
    QTemporaryDir dir;
    QString error;
    PlotExportOptions o;
    o.width = 800;
    o.height = 500;
    o.dpi = 192;
    o.title = QStringLiteral("Sink mass per layer, test prompt");
    const QString png = dir.filePath(QStringLiteral("sink.png"));
    ASSERT_TRUE(plot.exportTo(png, o, &error)) << error.toStdString();
    const QImage image(png);
    ASSERT_FALSE(image.isNull());
    EXPECT_EQ(image.size(), QSize(1600, 1000));  // 800 x 500 at 192 / 96
    EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 192.0, 1.0);

    // The title is drawn (SVG keeps text as text), and the plot on screen gets no title row.
    const QString svg = dir.filePath(QStringLiteral("sink.svg"));
    const int rows = plot.plot()->plotLayout()->rowCount();
    ASSERT_TRUE(plot.exportTo(svg, o, &error)) << error.toStdString();
    QFile f(svg);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_TRUE(QString::fromUtf8(f.readAll()).contains(o.title));
    EXPECT_EQ(plot.plot()->plotLayout()->rowCount(), rows);
    o.dpi = -1;
    EXPECT_FALSE(plot.exportTo(png, o, &error));
}

TEST(SinkMassPlot, LegendCoversNoBars) {
    SinkMassPlot plot;
    plot.resize(240, 180);  // a small dock
    plot.show();
    plot.setSinkMass({0.9, 0.95, 0.05, 0.3}, {0.92, 0.9, 0.1, 0.3});
    plot.plot()->replot();
    const QRect legend = plot.plot()->legend->outerRect();
    ASSERT_TRUE(plot.plot()->legend->visible());
    EXPECT_FALSE(legend.intersects(plot.plot()->axisRect()->rect()))
        << "legend " << legend.x() << "," << legend.y() << " " << legend.width() << "x"
        << legend.height();
}

TEST(PlotExportDialog, OffersTheDefaultsAndReturnsTheChoice) {
    PlotExportOptions defaults;
    defaults.width = 640;
    defaults.height = 400;
    defaults.dpi = 150;
    defaults.title = QStringLiteral("Layer 1 \u00b7 head 2 \u2014 attention weight");
    PlotExportDialog dialog(defaults);
    PlotExportOptions o = dialog.options();
    EXPECT_EQ(o.width, 640);
    EXPECT_EQ(o.height, 400);
    EXPECT_EQ(o.dpi, 150);
    EXPECT_EQ(o.title, defaults.title);
    dialog.findChild<QSpinBox*>(QStringLiteral("exportWidth"))->setValue(1200);
    dialog.findChild<QDoubleSpinBox*>(QStringLiteral("exportDpi"))->setValue(300);
    dialog.findChild<QLineEdit*>(QStringLiteral("exportTitle"))->setText(QStringLiteral("  t  "));
    o = dialog.options();
    EXPECT_EQ(o.width, 1200);
    EXPECT_EQ(o.dpi, 300);
    EXPECT_EQ(o.title, QStringLiteral("t"));
}
