#include "attnscope/ui/sink_mass_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

namespace attnscope::ui {

SinkMassPlot::SinkMassPlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    auto* group = new QCPBarsGroup(p);
    m_baseline = new QCPBars(p->xAxis, p->yAxis);
    m_baseline->setName(tr("baseline"));
    m_baseline->setBrush(QColor(180, 180, 180));
    m_baseline->setPen(Qt::NoPen);
    m_bars = new QCPBars(p->xAxis, p->yAxis);
    m_bars->setName(tr("sink mass"));
    m_bars->setBrush(QColor(33, 144, 140));
    m_bars->setPen(Qt::NoPen);
    for (QCPBars* b : {m_baseline, m_bars}) {
        b->setWidth(0.4);
        b->setBarsGroup(group);
    }
    p->xAxis->setLabel(tr("layer"));
    p->yAxis->setLabel(tr("sink mass"));
    p->xAxis->setTicker(QSharedPointer<QCPAxisTickerFixed>::create());
    p->xAxis->ticker().staticCast<QCPAxisTickerFixed>()->setScaleStrategy(
        QCPAxisTickerFixed::ssMultiples);
    // The legend sits in its own row above the axis rect, one line wide: inside the axis
    // rect it covered the bars of the first layers.
    p->legend->setVisible(true);
    p->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    p->legend->setBorderPen(Qt::NoPen);
    p->plotLayout()->insertRow(0);
    auto* row = new QCPLayoutGrid;
    p->plotLayout()->addElement(0, 0, row);
    p->plotLayout()->setRowStretchFactor(0, 0.001);
    row->addElement(0, 0, p->legend);                // moves it out of the inset layout
    row->addElement(0, 1, new QCPLayoutElement(p));  // pushes the legend to the left
    row->setColumnStretchFactor(0, 0.001);
    row->setColumnStretchFactor(1, 1);
    p->legend->setMargins(QMargins(4, 2, 4, 0));
}

void SinkMassPlot::setSinkMass(const std::vector<double>& mass,
                               const std::vector<double>& baseline) {
    QVector<double> layers;
    QVector<double> values;
    QVector<double> base;
    for (size_t l = 0; l < mass.size(); ++l) {
        layers << static_cast<double>(l);
        values << mass[l];
    }
    const bool withBaseline = baseline.size() == mass.size() && !baseline.empty();
    if (withBaseline) base = QVector<double>(baseline.begin(), baseline.end());
    m_bars->setData(layers, values, true);
    m_baseline->setData(withBaseline ? layers : QVector<double>(), base, true);
    m_baseline->setVisible(withBaseline);
    if (withBaseline)
        m_baseline->addToLegend();
    else
        m_baseline->removeFromLegend();
    m_bars->setWidth(withBaseline ? 0.4 : 0.8);
    m_baseline->setWidth(0.4);
    double top = 0;
    for (double v : values)
        top = std::max(top, v);
    for (double v : base)
        top = std::max(top, v);
    plot()->xAxis->setRange(-0.6, std::max<double>(mass.size(), 1) - 0.4);
    plot()->yAxis->setRange(0, std::max(top * 1.08, 1e-3));
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace attnscope::ui
