#include "attnscope/ui/plots_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>

#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/logit_lens_plot.h"
#include "attnscope/ui/score_histogram_plot.h"
#include "attnscope/ui/score_scatter_plot.h"
#include "attnscope/ui/sink_mass_plot.h"

namespace attnscope::ui {

PlotsPanel::PlotsPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("plotTabs"));
    m_tabs->setDocumentMode(true);
    layout->addWidget(m_tabs);
    m_sink = new SinkMassPlot(m_tabs);
    m_histogram = new ScoreHistogramPlot(m_tabs);

    auto* scatterTab = new QWidget(m_tabs);
    auto* scatterLayout = new QVBoxLayout(scatterTab);
    scatterLayout->setContentsMargins(0, 0, 0, 0);
    auto* scatterBar = new QHBoxLayout;
    scatterBar->addWidget(new QLabel(tr("Atlas score against"), scatterTab));
    m_scatterX = new QComboBox(scatterTab);
    m_scatterX->setObjectName(QStringLiteral("scatterXCombo"));
    m_scatterX->setToolTip(tr("x axis: the layer, or another score (one point per head)"));
    scatterBar->addWidget(m_scatterX);
    scatterBar->addStretch(1);
    scatterLayout->addLayout(scatterBar);
    m_scatter = new ScoreScatterPlot(scatterTab);
    scatterLayout->addWidget(m_scatter, 1);

    m_lens = new LogitLensPlot(m_tabs);
    m_curveTab = new QWidget(m_tabs);
    auto* curveLayout = new QVBoxLayout(m_curveTab);
    curveLayout->setContentsMargins(0, 0, 0, 0);
    m_curveButton = new QPushButton(tr("Ablation curve of this score"), m_curveTab);
    m_curveButton->setObjectName(QStringLiteral("ablationCurveButton"));
    m_curveButton->setToolTip(tr("Zero-ablate heads in the atlas score's order, and at random"));
    curveLayout->addWidget(m_curveButton, 0, Qt::AlignLeft);
    m_curve = new AblationCurvePlot(m_curveTab);
    curveLayout->addWidget(m_curve, 1);

    m_tabs->addTab(m_sink, tr("Sink mass per layer"));
    m_tabs->addTab(m_histogram, tr("Score histogram"));
    m_tabs->addTab(scatterTab, tr("Score scatter"));
    m_tabs->addTab(m_lens, tr("Logit lens"));
    m_tabs->addTab(m_curveTab, tr("Ablation curve"));
    setScatterChoices({});

    connect(m_scatterX, &QComboBox::currentIndexChanged, this, &PlotsPanel::scatterXChanged);
    connect(m_curveButton, &QPushButton::clicked, this, &PlotsPanel::curveRequested);
    connect(m_scatter, &ScoreScatterPlot::headClicked, this, &PlotsPanel::headClicked);
}

void PlotsPanel::setRun(const RunSnapshot& run) {
    m_sink->setSinkMass(run.sinkMassPerLayer, run.baselineSinkMassPerLayer);
    m_lens->setSnapshot(run.logitLens);
}

void PlotsPanel::setScores(const HeadScoresSnapshot& y, const HeadScoresSnapshot* x) {
    m_histogram->setScores(y);
    if (x && x->isValid() && x->layers == y.layers && x->heads == y.heads)
        m_scatter->setScores(*x, y);
    else
        m_scatter->setScores(y);
}

void PlotsPanel::setSelectedHead(HeadRef head) {
    m_scatter->setSelectedHead(head);
}

void PlotsPanel::setScatterChoices(const std::vector<std::pair<QString, QString>>& choices) {
    const QString current = scatterX();
    const QSignalBlocker block(m_scatterX);
    m_scatterX->clear();
    m_scatterX->addItem(tr("layer"), QString());
    for (const auto& [label, metric] : choices)
        m_scatterX->addItem(label, metric);
    const int i = current.isEmpty() ? -1 : m_scatterX->findData(current);
    m_scatterX->setCurrentIndex(i >= 0 ? i : 0);
}

QString PlotsPanel::scatterX() const {
    return m_scatterX->currentData().toString();
}

void PlotsPanel::setCurve(const AblationCurveSnapshot& curve) {
    m_curve->setCurve(curve);
}

void PlotsPanel::showCurve() {
    m_tabs->setCurrentWidget(m_curveTab);
}

void PlotsPanel::setCurveRunning(bool running) {
    m_curveButton->setEnabled(!running);
}

}  // namespace attnscope::ui
