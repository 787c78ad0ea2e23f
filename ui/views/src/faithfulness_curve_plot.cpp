#include "attnscope/ui/faithfulness_curve_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

constexpr double kClickRadius = 10.0;  // pixels

QString number(double v) {
    return std::isnan(v) ? QStringLiteral("\u2013") : QString::number(v, 'f', 3);
}

}  // namespace

FaithfulnessCurvePlot::FaithfulnessCurvePlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    m_fullModel = p->addGraph();
    m_curveGraph = p->addGraph();
    m_currentGraph = p->addGraph();
    m_fullModel->setPen(QPen(QColor(120, 120, 120), 1, Qt::DotLine));
    m_fullModel->setName(tr("full model"));
    m_fullModel->setData(QVector<double>{0.1, 100}, QVector<double>{1, 1});
    m_curveGraph->setPen(QPen(QColor(0, 114, 178), 2));
    m_curveGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    m_curveGraph->setName(tr("faithfulness (MIB grid)"));
    m_currentGraph->setLineStyle(QCPGraph::lsNone);
    m_currentGraph->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDiamond, QColor(213, 94, 0), QColor(213, 94, 0), 11));
    m_currentGraph->setName(tr("current circuit"));
    p->xAxis->setScaleType(QCPAxis::stLogarithmic);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    p->xAxis->setLabel(tr("edges kept (%)"));
    p->xAxis->setRange(0.07, 140);
    p->yAxis->setLabel(tr("faithfulness"));
    p->yAxis->setRange(-0.1, 1.2);
    p->legend->setVisible(true);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    m_summary = new QCPItemText(p);
    m_summary->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_summary->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_summary->position->setCoords(0.02, 0.02);
    m_summary->setText(summaryText());
    connect(p, &QCustomPlot::mousePress, this, &FaithfulnessCurvePlot::onPlotClick);
}

void FaithfulnessCurvePlot::setCurve(
    const std::vector<analysis::circuits::FaithfulnessPoint>& curve, double cpr, double cmd) {
    m_curve = curve;
    m_cpr = cpr;
    m_cmd = cmd;
    QVector<double> xs, ys;
    for (const auto& point : curve) {
        xs << point.fraction * 100.0;
        ys << point.faithfulness;
    }
    m_curveGraph->setData(xs, ys);
    double low = 0, high = 1;
    for (double y : ys)
        if (std::isfinite(y)) {
            low = std::min(low, y);
            high = std::max(high, y);
        }
    if (std::isfinite(m_currentFaithfulness)) {
        low = std::min(low, m_currentFaithfulness);
        high = std::max(high, m_currentFaithfulness);
    }
    plot()->yAxis->setRange(low - 0.1, high + 0.2);
    m_summary->setText(summaryText());
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void FaithfulnessCurvePlot::setCurrent(int64_t edges, int64_t totalEdges, double faithfulness) {
    m_currentEdges = edges;
    m_currentFaithfulness = faithfulness;
    if (edges > 0 && totalEdges > 0 && std::isfinite(faithfulness))
        m_currentGraph->setData(QVector<double>{100.0 * double(edges) / double(totalEdges)},
                                QVector<double>{faithfulness});
    else
        m_currentGraph->data()->clear();
    if (std::isfinite(faithfulness)) {
        const QCPRange r = plot()->yAxis->range();
        if (faithfulness < r.lower || faithfulness > r.upper)
            plot()->yAxis->setRange(std::min(r.lower, faithfulness - 0.1),
                                    std::max(r.upper, faithfulness + 0.1));
    }
    m_summary->setText(summaryText());
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void FaithfulnessCurvePlot::clear() {
    m_currentFaithfulness = NAN;
    m_currentEdges = -1;
    m_currentGraph->data()->clear();
    setCurve({}, NAN, NAN);
}

QString FaithfulnessCurvePlot::summaryText() const {
    QString text = tr("CPR %1 (higher is better)   CMD %2 (lower is better)")
                       .arg(number(m_cpr), number(m_cmd));
    if (m_currentEdges >= 0 && std::isfinite(m_currentFaithfulness))
        text += tr("\ncurrent: %1 edges, faithfulness %2")
                    .arg(m_currentEdges)
                    .arg(number(m_currentFaithfulness));
    return text;
}

QPointF FaithfulnessCurvePlot::pointPosition(int index) const {
    const auto& point = m_curve[static_cast<size_t>(index)];
    return {plot()->xAxis->coordToPixel(point.fraction * 100.0),
            plot()->yAxis->coordToPixel(point.faithfulness)};
}

void FaithfulnessCurvePlot::onPlotClick(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    int best = -1;
    double bestDistance = kClickRadius;
    for (int i = 0; i < static_cast<int>(m_curve.size()); ++i) {
        if (!std::isfinite(m_curve[static_cast<size_t>(i)].faithfulness)) continue;
        const QPointF d = pointPosition(i) - event->position();
        const double distance = std::hypot(d.x(), d.y());
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = i;
        }
    }
    if (best >= 0) Q_EMIT edgeCountClicked(m_curve[static_cast<size_t>(best)].edges);
}

}  // namespace attnscope::ui
