#pragma once

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/ui/circuit_evaluation_snapshot.h"
#include "attnscope/ui/circuit_ranking.h"

#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QStackedWidget;

namespace attnscope::ui {

class CircuitGraphView;
class CircuitPositionsView;
class CircuitRunForm;
class FaithfulnessCurvePlot;

/// The circuit explorer: the discovery form, the graph (CircuitGraphView) with the
/// faithfulness curve beside it, one "how much circuit" control (a slider and a number box
/// reading top-N edges, % of edges or τ), the faithfulness readout, the comparison with a
/// second circuit (Jaccard and |A∩B|/|A| over heads and edges, from the analysis library) and
/// the exports. It owns no model work: it asks for evaluations (evaluationRequested with the
/// kept edges, after every change) and shows what comes back (setEvaluation). Edge clicks
/// become edits (edgeToggled); the edit list comes back through setRemovedEdges.
///
/// Two graph modes: positions collapsed (CircuitGraphView, the default) and positions as
/// columns (CircuitPositionsView), for circuits with per-position scores. In the second the
/// amount control selects (edge, position) cells by their per-position scores, and the
/// evaluation removes edges at single positions (evaluationRequested with one byte per cell);
/// edits remove an edge at every position. GUI thread only.
class CircuitPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSliderSteps = 1000;
    explicit CircuitPanel(QWidget* parent = nullptr);

    /// Shows circuit A (its graph is ranked off the GUI thread); its own selection is the
    /// first kept set. A null circuit clears the panel.
    void setCircuit(CircuitPtr circuit);
    CircuitPtr circuit() const { return m_circuit; }
    /// A with `inCircuit` = the kept edges now shown (what is saved, exported and compared),
    /// and the amount control in parameters["explorer"].
    CircuitPtr currentCircuit() const;
    /// A discovery's state so far (ACDC pruning): the first call shows its graph, later ones
    /// only change which edges are kept, so that nothing moves while edges disappear. No
    /// evaluation is asked for meanwhile. setCircuit() (the result) or endPruning() ends it.
    void showPruning(CircuitPtr partial);
    /// The discovery stopped without a result (cancelled, failed): the last state stays shown.
    void endPruning(const QString& why);
    bool isPruning() const { return m_pruning; }
    /// How many pruning states were shown since the discovery began (for tests).
    int pruningStatesShown() const { return m_pruningStates; }
    /// Replaces A's curve, CPR and CMD (a scored copy of the same circuit).
    void setScoredCircuit(CircuitPtr scored);
    /// Compares with circuit B; null ends the comparison.
    void setComparison(CircuitPtr other);
    CircuitPtr comparison() const { return m_other; }
    /// The overlap of the current circuit with B (nullopt without B).
    std::optional<analysis::circuits::CircuitOverlap> overlap() const { return m_overlap; }

    /// The edges removed by edits, by EAP-IG name (unknown names are ignored).
    void setRemovedEdges(const QStringList& names);

    void setAmount(CircuitAmount mode, double value);
    CircuitAmount amountMode() const;
    double amountValue() const;
    /// Selects the top `edges` edges in the current mode (a click on the curve).
    void setEdgeCount(int64_t edges);
    /// The kept edges now shown (one byte per edge; in the positions mode, the edges kept at
    /// any position), and how many entries the evaluated selection keeps (edges, or cells in
    /// the positions mode).
    const std::vector<uint8_t>& keptEdges() const { return m_kept; }
    int64_t keptEdgeCount() const;

    /// Switches to positions as columns (only for a circuit with per-position scores: the
    /// toggle is disabled otherwise, with a tooltip saying why) or back. The amount control
    /// keeps its mode and value, now counting cells.
    void setPositionsMode(bool on);
    bool positionsMode() const { return m_positionsMode; }
    /// The kept (edge, position) cells, [edges, positions] row-major (empty when collapsed).
    const std::vector<uint8_t>& keptCells() const { return m_keptCells; }

    /// An evaluation of the kept edges arrived; one for an older kept set is ignored.
    void setEvaluation(const CircuitEvaluationSnapshot& evaluation);
    const std::optional<CircuitEvaluationSnapshot>& evaluation() const { return m_evaluation; }
    QString readoutText() const;
    /// The measured faithfulness without `edge` arrived (for the hover's effect when removed).
    void setEdgeRemovalFaithfulness(qint64 edge, double faithfulness);
    /// The measured faithfulness without `node`'s edges arrived (the node hover's effect).
    void setNodeRemovalFaithfulness(int node, double faithfulness);
    QString overlapText() const;

    /// Writes the current circuit (by suffix: .json EAP-IG, .dot Graphviz, else HDF5).
    bool saveCircuit(const QString& path, QString* error = nullptr) const;

    CircuitRunForm* form() const { return m_form; }
    CircuitGraphView* graph() const { return m_graph; }
    CircuitPositionsView* positionsView() const { return m_positions; }
    QCheckBox* positionsToggle() const { return m_positionsToggle; }
    FaithfulnessCurvePlot* curve() const { return m_curve; }
    QComboBox* amountModeCombo() const { return m_mode; }
    QSlider* amountSlider() const { return m_slider; }
    QDoubleSpinBox* amountBox() const { return m_box; }
    QLabel* readout() const { return m_readout; }
    QLabel* overlapLabel() const { return m_overlapLabel; }

Q_SIGNALS:
    /// The kept edges changed: evaluate them (one patched forward).
    void evaluationRequested(const std::vector<uint8_t>& kept);
    /// The pointer rests on a kept edge: measure the circuit without it.
    void edgeEffectRequested(const std::vector<uint8_t>& kept, qint64 edge);
    /// The pointer rests on a node of the circuit: measure the circuit without `edges` (every
    /// edge the node sends or receives). Asked once per node and kept set (then cached).
    void nodeEffectRequested(const std::vector<uint8_t>& kept, int node,
                             const std::vector<int64_t>& edges);
    /// An edge was clicked: remove it (or restore it when an edit removed it).
    void edgeToggled(qint64 edge, const QString& name, bool removed);
    void headClicked(int layer, int head);
    /// A circuit file to open as A (slot 0) or as B (slot 1).
    void openCircuitRequested(const QString& path, int slot);
    /// A has no faithfulness curve yet (a file without one): compute it.
    void scoreRequested(attnscope::ui::CircuitPtr circuit);

private:
    void buildAmountRow(QWidget* host);
    void buildButtons(QWidget* host);
    void showCircuit(CircuitPtr circuit);
    QString pruningText() const;
    void onGraphReady();
    void onModeChanged();
    void onSliderMoved(int position);
    void onBoxChanged(double value);
    void applyAmount();
    void applyKept(std::vector<uint8_t> kept);
    // circuit_panel_positions.cpp
    void applyKeptCells(std::vector<uint8_t> cells);
    void updatePositionsToggle();
    /// The ranking the amount control reads: the edges', or the cells' in the positions mode.
    const CircuitRanking* amountRanking() const {
        return m_positionsMode ? m_cellRanking.get() : m_ranking.get();
    }
    void updateOverlap();
    double sliderToValue(int position) const;
    int valueToSlider(double value) const;
    void configureBox();
    std::vector<int64_t> removedIndices() const;

    CircuitRunForm* m_form = nullptr;
    CircuitGraphView* m_graph = nullptr;
    CircuitPositionsView* m_positions = nullptr;
    QStackedWidget* m_graphModes = nullptr;  // the graph view, or the positions view
    QCheckBox* m_positionsToggle = nullptr;
    FaithfulnessCurvePlot* m_curve = nullptr;
    QComboBox* m_mode = nullptr;
    QSlider* m_slider = nullptr;
    QDoubleSpinBox* m_box = nullptr;
    QLabel* m_readout = nullptr;
    QLabel* m_overlapLabel = nullptr;
    QPushButton* m_endCompare = nullptr;

    CircuitPtr m_circuit;
    CircuitPtr m_other;
    std::shared_ptr<const CircuitRanking> m_ranking;
    std::shared_ptr<const CircuitRanking> m_cellRanking;  // made when the mode is first shown
    std::vector<uint8_t> m_keptCells;                     // positions mode only
    bool m_positionsMode = false;
    QStringList m_removedNames;
    std::vector<uint8_t> m_kept;
    std::optional<CircuitEvaluationSnapshot> m_evaluation;
    std::optional<analysis::circuits::CircuitOverlap> m_overlap;
    // Until the user moves the control, A's own selection (e.g. what ACDC kept) is shown.
    bool m_ownSelection = true;
    bool m_syncing = false;
    bool m_pruning = false;  // showing a running discovery's states (showPruning)
    int m_pruningStates = 0;
};

}  // namespace attnscope::ui
