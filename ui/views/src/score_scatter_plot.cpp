#include "attnscope/ui/score_scatter_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

QCPRange paddedRange(double lo, double hi) {
    if (!std::isfinite(lo)) return QCPRange(0, 1);
    const double pad = hi > lo ? (hi - lo) * 0.05 : 0.5;
    return QCPRange(lo - pad, hi + pad);
}

}  // namespace

ScoreScatterPlot::ScoreScatterPlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    m_points = p->addGraph();
    m_points->setLineStyle(QCPGraph::lsNone);
    m_points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(33, 144, 140), 6));
    m_points->setAdaptiveSampling(false);  // every head stays pickable and visible
    m_selection = p->addGraph();
    m_selection->setLineStyle(QCPGraph::lsNone);
    m_selection->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(255, 64, 64), 2), Qt::NoBrush, 12));
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(p, &QCustomPlot::mousePress, this,
            [this](QMouseEvent* event) { m_pressPos = event->position(); });
    connect(p, &QCustomPlot::mouseRelease, this, &ScoreScatterPlot::onMouseRelease);
}

void ScoreScatterPlot::setScores(const HeadScoresSnapshot& x, const HeadScoresSnapshot& y) {
    std::vector<Point> points;
    if (x.isValid() && y.isValid() && x.layers == y.layers && x.heads == y.heads) {
        for (int l = 0; l < y.layers; ++l)
            for (int h = 0; h < y.heads; ++h)
                points.push_back({{l, h}, x.at(l, h), y.at(l, h)});
    }
    setPoints(std::move(points), x.metric, y.metric);
}

void ScoreScatterPlot::setScores(const HeadScoresSnapshot& y) {
    std::vector<Point> points;
    if (y.isValid()) {
        for (int l = 0; l < y.layers; ++l) {
            for (int h = 0; h < y.heads; ++h) {
                const double spread = y.heads > 1 ? 0.6 * h / (y.heads - 1) - 0.3 : 0.0;
                points.push_back({{l, h}, l + spread, y.at(l, h)});
            }
        }
    }
    setPoints(std::move(points), tr("layer"), y.metric);
}

void ScoreScatterPlot::setPoints(std::vector<Point> points, const QString& xLabel,
                                 const QString& yLabel) {
    m_data.clear();
    QVector<double> xs;
    QVector<double> ys;
    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    for (const Point& pt : points) {
        if (!std::isfinite(pt.x) || !std::isfinite(pt.y)) continue;
        m_data.push_back(pt);
        xs << pt.x;
        ys << pt.y;
        x0 = std::min(x0, pt.x), x1 = std::max(x1, pt.x);
        y0 = std::min(y0, pt.y), y1 = std::max(y1, pt.y);
    }
    m_points->setData(xs, ys);
    plot()->xAxis->setLabel(xLabel);
    plot()->yAxis->setLabel(yLabel);
    plot()->xAxis->setRange(paddedRange(x0, x1));
    plot()->yAxis->setRange(paddedRange(y0, y1));
    if (!pointOf(m_selected, nullptr)) m_selected = HeadRef{};
    updateSelectionGraph();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

bool ScoreScatterPlot::pointOf(HeadRef head, QPointF* coords) const {
    for (const Point& pt : m_data) {
        if (pt.head == head) {
            if (coords) *coords = QPointF(pt.x, pt.y);
            return true;
        }
    }
    return false;
}

HeadRef ScoreScatterPlot::headNear(const QPointF& plotPos) const {
    HeadRef best;
    double bestDist = kPickRadius * kPickRadius;
    for (const Point& pt : m_data) {
        const double dx = plot()->xAxis->coordToPixel(pt.x) - plotPos.x();
        const double dy = plot()->yAxis->coordToPixel(pt.y) - plotPos.y();
        const double d = dx * dx + dy * dy;
        if (d <= bestDist) {
            bestDist = d;
            best = pt.head;
        }
    }
    return best;
}

void ScoreScatterPlot::setSelectedHead(HeadRef head) {
    m_selected = pointOf(head, nullptr) ? head : HeadRef{};
    updateSelectionGraph();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void ScoreScatterPlot::updateSelectionGraph() {
    QPointF c;
    if (m_selected.isValid() && pointOf(m_selected, &c))
        m_selection->setData(QVector<double>{c.x()}, QVector<double>{c.y()});
    else
        m_selection->data()->clear();
}

void ScoreScatterPlot::onMouseRelease(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    if ((event->position() - m_pressPos).manhattanLength() > 3) return;  // a pan
    const HeadRef head = headNear(event->position());
    if (!head.isValid()) return;
    setSelectedHead(head);
    Q_EMIT headClicked(head.layer, head.head);
}

}  // namespace attnscope::ui
