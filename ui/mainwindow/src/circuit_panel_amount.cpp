// The circuit panel's "how much circuit" control (a slider and a number box reading top-N
// edges, % of edges or τ) and its readout, in both graph modes: over the edges, or over the
// (edge, position) cells of a circuit with per-position scores (positions as columns).
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSlider>

#include <algorithm>
#include <cmath>

#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/faithfulness_curve_plot.h"

namespace attnscope::ui {
namespace {

constexpr double kThresholdDecades = 6;  // τ spans max|score| down to 1e-6 of it

QString percentOf(double share) {
    return QString::number(100.0 * share, 'f', share < 0.01 ? 2 : 1) + QStringLiteral(" %");
}

}  // namespace

CircuitAmount CircuitPanel::amountMode() const {
    return static_cast<CircuitAmount>(m_mode->currentData().toInt());
}

double CircuitPanel::amountValue() const {
    return m_box->value();
}

void CircuitPanel::configureBox() {
    const bool was = m_syncing;
    m_syncing = true;
    const CircuitRanking* ranking = amountRanking();
    const int64_t all = ranking ? ranking->edgeCount() : 0;
    switch (amountMode()) {
        case CircuitAmount::TopEdges:
            m_box->setDecimals(0);
            m_box->setRange(0, double(all));
            m_box->setSingleStep(1);
            m_box->setSuffix(m_positionsMode ? tr(" edge-positions") : tr(" edges"));
            break;
        case CircuitAmount::Percent:
            m_box->setDecimals(2);
            m_box->setRange(0, 100);
            m_box->setSingleStep(0.1);
            m_box->setSuffix(QStringLiteral(" %"));
            break;
        case CircuitAmount::Threshold: {
            const double top = ranking ? ranking->maxAbsScore : 1.0;
            m_box->setDecimals(6);
            m_box->setRange(0, top > 0 ? top * 1.001 : 1.0);
            m_box->setSingleStep(top > 0 ? top / 100 : 0.01);
            m_box->setSuffix(QString());
            break;
        }
    }
    m_syncing = was;
}

// The slider is logarithmic in every mode: circuits of interest are a small share of edges.
double CircuitPanel::sliderToValue(int position) const {
    const CircuitRanking* ranking = amountRanking();
    if (!ranking) return 0;
    const double t = double(position) / kSliderSteps;
    const auto all = double(ranking->edgeCount());
    switch (amountMode()) {
        case CircuitAmount::TopEdges:
            return position == 0 ? 0.0 : std::round(std::pow(all, t));
        case CircuitAmount::Percent:
            return position == 0 ? 0.0 : 0.01 * std::pow(1e4, t);
        case CircuitAmount::Threshold:
            return position == kSliderSteps
                       ? 0.0
                       : ranking->maxAbsScore * std::pow(10.0, -kThresholdDecades * t);
    }
    return 0;
}

int CircuitPanel::valueToSlider(double value) const {
    const CircuitRanking* ranking = amountRanking();
    if (!ranking) return 0;
    const auto all = double(ranking->edgeCount());
    double t = 0;
    switch (amountMode()) {
        case CircuitAmount::TopEdges:
            t = value >= 1 && all > 1 ? std::log(value) / std::log(all) : 0.0;
            break;
        case CircuitAmount::Percent:
            t = value > 0 ? std::log10(value / 0.01) / 4.0 : 0.0;
            break;
        case CircuitAmount::Threshold:
            t = value > 0 && ranking->maxAbsScore > 0
                    ? -std::log10(value / ranking->maxAbsScore) / kThresholdDecades
                    : 1.0;
            break;
    }
    return std::clamp(static_cast<int>(std::lround(t * kSliderSteps)), 0, kSliderSteps);
}

void CircuitPanel::onModeChanged() {
    const CircuitRanking* ranking = amountRanking();
    if (m_syncing || !ranking) {
        configureBox();
        return;
    }
    // Keep the circuit: express the current edge count in the new mode (edits remove whole
    // edges from the cells too, so the cell count is the selection's own).
    const int64_t count =
        keptEdgeCount() + (m_positionsMode ? 0 : static_cast<int64_t>(removedIndices().size()));
    configureBox();
    m_syncing = true;
    const double value = amountForEdgeCount(*ranking, amountMode(), count);
    m_box->setValue(value);
    m_slider->setValue(valueToSlider(value));
    m_syncing = false;
}

void CircuitPanel::onSliderMoved(int position) {
    if (m_syncing) return;
    m_syncing = true;
    m_box->setValue(sliderToValue(position));
    m_syncing = false;
    m_ownSelection = false;
    applyAmount();
}

void CircuitPanel::onBoxChanged(double value) {
    if (m_syncing) return;
    m_syncing = true;
    m_slider->setValue(valueToSlider(value));
    m_syncing = false;
    m_ownSelection = false;
    applyAmount();
}

void CircuitPanel::setAmount(CircuitAmount mode, double value) {
    m_syncing = true;
    m_mode->setCurrentIndex(m_mode->findData(static_cast<int>(mode)));
    configureBox();
    m_box->setValue(value);
    m_slider->setValue(valueToSlider(value));
    m_syncing = false;
    m_ownSelection = false;
    applyAmount();
}

void CircuitPanel::setEdgeCount(int64_t edges) {
    // The curve counts edges; the cells of the positions mode are another axis.
    if (!m_ranking || m_positionsMode) return;
    setAmount(amountMode(), amountForEdgeCount(*m_ranking, amountMode(), edges));
}

void CircuitPanel::applyAmount() {
    if (m_positionsMode && m_cellRanking) {
        const int64_t count = selectedEdgeCount(*m_cellRanking, amountMode(), m_box->value());
        applyKeptCells(topEdgesMask(*m_cellRanking, count));
        return;
    }
    if (!m_ranking) return;
    const int64_t count = selectedEdgeCount(*m_ranking, amountMode(), m_box->value());
    applyKept(topEdgesMask(*m_ranking, count, removedIndices()));
}

void CircuitPanel::applyKept(std::vector<uint8_t> kept) {
    m_kept = std::move(kept);
    m_graph->setKeptEdges(m_kept, removedIndices());
    m_curve->setCurrent(keptEdgeCount(), m_ranking->edgeCount(), NAN);
    m_readout->setText(tr("%1 of %2 edges (%3): evaluating\u2026")
                           .arg(keptEdgeCount())
                           .arg(m_ranking->edgeCount())
                           .arg(percentOf(double(keptEdgeCount()) / m_ranking->edgeCount())));
    updateOverlap();
    if (m_pruning) {  // the discovery is still running: nothing to evaluate yet
        m_readout->setText(pruningText());
        return;
    }
    Q_EMIT evaluationRequested(m_kept);
}

int64_t CircuitPanel::keptEdgeCount() const {
    const auto& kept = m_positionsMode ? m_keptCells : m_kept;
    return static_cast<int64_t>(std::count(kept.begin(), kept.end(), 1));
}

QString CircuitPanel::readoutText() const {
    if (!m_evaluation) return m_readout->text();
    const CircuitEvaluationSnapshot& e = *m_evaluation;
    return tr("faithfulness %1 \u2014 metric %2 (full model %3, empty circuit %4) \u2014 %5 of "
              "%6 %8 (%7)")
        .arg(e.faithfulness, 0, 'f', 4)
        .arg(e.metric, 0, 'f', 4)
        .arg(e.fullModel, 0, 'f', 4)
        .arg(e.emptyCircuit, 0, 'f', 4)
        .arg(e.keptEdges)
        .arg(e.totalEdges)
        .arg(percentOf(e.totalEdges > 0 ? double(e.keptEdges) / e.totalEdges : 0.0))
        .arg(m_positionsMode ? tr("(edge, position) pairs") : tr("edges"));
}

}  // namespace attnscope::ui
