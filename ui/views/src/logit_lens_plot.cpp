#include "attnscope/ui/logit_lens_plot.h"

#include "attnscope/ui/qcustomplot_wrapper.h"
#include "attnscope/ui/token_text.h"

namespace attnscope::ui {

LogitLensPlot::LogitLensPlot(QWidget* parent) : PlotView(parent) {
    QCustomPlot* p = plot();
    m_baseline = p->addGraph();
    m_baseline->setPen(QPen(QColor(110, 110, 110), 2, Qt::DashLine));
    m_baseline->setName(tr("baseline"));
    m_prob = p->addGraph();
    m_prob->setPen(QPen(QColor(59, 82, 139), 2));
    m_prob->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    p->xAxis->setLabel(tr("layer"));
    p->yAxis->setRange(0, 1);
    p->legend->setVisible(true);
    p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
}

void LogitLensPlot::setSnapshot(const LogitLensSnapshot& lens) {
    QVector<double> layers;
    for (size_t l = 0; l < lens.prob.size(); ++l)
        layers << static_cast<double>(l);
    m_prob->setData(layers, QVector<double>(lens.prob.begin(), lens.prob.end()));
    m_prob->setName(tr("p(\u201c%1\u201d)").arg(displayToken(lens.token)));
    const bool withBaseline = lens.baselineProb.size() == lens.prob.size();
    m_baseline->setData(withBaseline ? layers : QVector<double>(),
                        withBaseline
                            ? QVector<double>(lens.baselineProb.begin(), lens.baselineProb.end())
                            : QVector<double>());
    m_baseline->setVisible(withBaseline && !lens.prob.empty());
    plot()->xAxis->setRange(-0.3, std::max<double>(lens.prob.size(), 1) - 0.7);
    plot()->yAxis->setLabel(tr("probability"));
    plot()->yAxis->setRange(0, 1.02);
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace attnscope::ui
