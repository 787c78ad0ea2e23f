#include "attnscope/ui/score_histogram_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::ui {

ScoreHistogramPlot::ScoreHistogramPlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    m_bars = new QCPBars(p->xAxis, p->yAxis);
    m_bars->setBrush(QColor(59, 82, 139));
    m_bars->setPen(QPen(Qt::white, 0.5));
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    p->yAxis->setLabel(tr("heads"));
}

std::vector<int> ScoreHistogramPlot::histogram(const std::vector<double>& values, int bins,
                                               double* lo, double* hi) {
    bins = std::max(bins, 1);
    double a = std::numeric_limits<double>::infinity();
    double b = -a;
    for (double v : values) {
        if (std::isnan(v)) continue;
        a = std::min(a, v);
        b = std::max(b, v);
    }
    if (!std::isfinite(a)) a = 0, b = 1;
    if (b <= a) b = a + 1;
    std::vector<int> counts(static_cast<size_t>(bins), 0);
    for (double v : values) {
        if (std::isnan(v)) continue;
        const int bin = std::min(bins - 1, static_cast<int>((v - a) / (b - a) * bins));
        ++counts[static_cast<size_t>(bin)];
    }
    if (lo) *lo = a;
    if (hi) *hi = b;
    return counts;
}

void ScoreHistogramPlot::setScores(const HeadScoresSnapshot& scores, int bins) {
    double lo = 0;
    double hi = 1;
    const std::vector<int> counts = histogram(scores.values, bins, &lo, &hi);
    const double width = (hi - lo) / static_cast<double>(counts.size());
    QVector<double> centres;
    QVector<double> heights;
    int top = 1;
    for (size_t i = 0; i < counts.size(); ++i) {
        centres << lo + (static_cast<double>(i) + 0.5) * width;
        heights << counts[i];
        top = std::max(top, counts[i]);
    }
    m_bars->setWidth(width);
    m_bars->setData(centres, heights, true);
    plot()->xAxis->setLabel(scores.metric.isEmpty() ? tr("score") : scores.metric);
    plot()->xAxis->setRange(lo - width / 2, hi + width / 2);
    plot()->yAxis->setRange(0, top * 1.08);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace attnscope::ui
