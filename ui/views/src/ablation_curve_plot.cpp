#include "attnscope/ui/ablation_curve_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

QVector<double> toVector(const std::vector<double>& v) {
    return QVector<double>(v.begin(), v.end());
}

}  // namespace

AblationCurvePlot::AblationCurvePlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    m_bandLow = p->addGraph();
    m_bandHigh = p->addGraph();
    m_random = p->addGraph();
    m_byScore = p->addGraph();
    for (QCPGraph* g : {m_bandLow, m_bandHigh}) {
        g->setPen(Qt::NoPen);
        g->removeFromLegend();
    }
    m_bandHigh->setBrush(QColor(150, 150, 150, 60));
    m_bandHigh->setChannelFillGraph(m_bandLow);
    m_random->setPen(QPen(QColor(110, 110, 110), 2, Qt::DashLine));
    m_random->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
    m_byScore->setPen(QPen(QColor(198, 40, 40), 2));
    m_byScore->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    p->xAxis->setLabel(tr("heads removed"));
    p->legend->setVisible(true);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

void AblationCurvePlot::setCurve(const AblationCurveSnapshot& curve) {
    const QVector<double> xs = toVector(curve.headsRemoved);
    const auto fits = [&](const std::vector<double>& v) {
        return v.size() == curve.headsRemoved.size();
    };
    m_byScore->setName(curve.score.isEmpty() ? tr("by score") : tr("by %1").arg(curve.score));
    m_random->setName(tr("random"));
    m_byScore->setData(fits(curve.byScore) ? xs : QVector<double>(), toVector(curve.byScore));
    m_random->setData(fits(curve.random) ? xs : QVector<double>(), toVector(curve.random));
    QVector<double> low;
    QVector<double> high;
    const bool band = fits(curve.random) && fits(curve.randomStd) && !curve.randomStd.empty();
    if (band) {
        for (size_t i = 0; i < curve.random.size(); ++i) {
            low << curve.random[i] - curve.randomStd[i];
            high << curve.random[i] + curve.randomStd[i];
        }
    }
    m_bandLow->setData(band ? xs : QVector<double>(), low);
    m_bandHigh->setData(band ? xs : QVector<double>(), high);
    plot()->yAxis->setLabel(curve.metric);
    plot()->rescaleAxes();
    plot()->xAxis->scaleRange(1.05);
    plot()->yAxis->scaleRange(1.1);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace attnscope::ui
