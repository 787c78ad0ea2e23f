// The circuit panel's "positions as columns" mode: the cells (edge, position) of a circuit
// with per-position scores, ranked, selected by the amount control and evaluated with edges
// removed at single positions.
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QStackedWidget>

#include <algorithm>
#include <cmath>

#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/circuit_positions_view.h"
#include "attnscope/ui/faithfulness_curve_plot.h"

namespace attnscope::ui {

void CircuitPanel::updatePositionsToggle() {
    const bool available = m_circuit && m_circuit->hasPositionScores();
    m_positionsToggle->setEnabled(available);
    if (available)
        m_positionsToggle->setToolTip(
            tr("One column per token position (%1 tokens), each edge drawn in its column by its "
               "per-position score")
                .arg(m_circuit->positions));
    else
        m_positionsToggle->setToolTip(
            m_circuit ? tr("This circuit has no per-position scores: find it with EAP or EAP-IG "
                           "and \"per position\" checked (attnscope-cli circuit --per-position)")
                      : tr("No circuit yet"));
    if (!available) {
        const QSignalBlocker quiet(m_positionsToggle);
        m_positionsToggle->setChecked(false);
    }
}

void CircuitPanel::setPositionsMode(bool on) {
    on = on && m_circuit && m_circuit->hasPositionScores();
    if (m_positionsToggle->isChecked() != on) {
        const QSignalBlocker quiet(m_positionsToggle);
        m_positionsToggle->setChecked(on);
    }
    if (on == m_positionsMode) return;
    m_positionsMode = on;
    m_evaluation.reset();
    if (on && !m_cellRanking) {
        // Ranked by the signed score, as the collapsed graph: the same control, per cell.
        m_cellRanking = rankPositionCells(m_circuit, false);
        QStringList tokens;
        const auto& names = m_circuit->parameters.value("position_tokens", nlohmann::json());
        if (names.is_array())
            for (const auto& t : names)
                tokens.push_back(t.is_string() ? QString::fromStdString(t.get<std::string>())
                                               : QString());
        m_positions->setRanking(m_cellRanking, tokens);
    }
    if (!on) m_keptCells.clear();
    m_graphModes->setCurrentWidget(on ? static_cast<QWidget*>(m_positions) : m_graph);
    // The curve counts edges: its marker has no place for a selection of cells.
    if (on) m_curve->setCurrent(0, 0, NAN);
    // The control keeps its mode and value, read against the new ranking.
    configureBox();
    m_syncing = true;
    m_slider->setValue(valueToSlider(m_box->value()));
    m_syncing = false;
    m_ownSelection = false;
    applyAmount();
}

void CircuitPanel::applyKeptCells(std::vector<uint8_t> cells) {
    const int64_t positions = m_circuit->positions;
    const auto removed = removedIndices();
    for (int64_t e : removed)  // an edit removes the edge at every position
        std::fill_n(cells.begin() + e * positions, positions, uint8_t{0});
    m_keptCells = std::move(cells);
    m_kept.assign(static_cast<size_t>(m_circuit->graph.edgeCount()), 0);
    for (size_t i = 0; i < m_keptCells.size(); ++i)
        if (m_keptCells[i]) m_kept[i / static_cast<size_t>(positions)] = 1;
    m_positions->setKeptCells(m_keptCells);
    m_graph->setKeptEdges(m_kept, removed);
    m_readout->setText(tr("%1 of %2 (edge, position) pairs, on %3 edges: evaluating\u2026")
                           .arg(keptEdgeCount())
                           .arg(m_keptCells.size())
                           .arg(std::count(m_kept.begin(), m_kept.end(), 1)));
    updateOverlap();
    Q_EMIT evaluationRequested(m_keptCells);
}

}  // namespace attnscope::ui
