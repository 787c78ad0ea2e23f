#include "attnscope/ui/circuit_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_positions_view.h"
#include "attnscope/ui/circuit_run_form.h"
#include "attnscope/ui/faithfulness_curve_plot.h"

namespace attnscope::ui {
namespace {

namespace circuits = analysis::circuits;

QString modeKey(CircuitAmount mode) {
    switch (mode) {
        case CircuitAmount::TopEdges:
            return QStringLiteral("top-edges");
        case CircuitAmount::Percent:
            return QStringLiteral("edge-percent");
        case CircuitAmount::Threshold:
            return QStringLiteral("threshold");
    }
    return {};
}

}  // namespace

CircuitPanel::CircuitPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    m_form = new CircuitRunForm(this);
    layout->addWidget(m_form);
    buildAmountRow(this);
    m_readout = new QLabel(tr("No circuit yet."), this);
    m_readout->setObjectName(QStringLiteral("circuitReadout"));
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_readout);

    auto* split = new QSplitter(Qt::Horizontal, this);
    m_graphModes = new QStackedWidget(split);
    m_graph = new CircuitGraphView(m_graphModes);
    m_positions = new CircuitPositionsView(m_graphModes);
    m_graphModes->addWidget(m_graph);
    m_graphModes->addWidget(m_positions);
    m_curve = new FaithfulnessCurvePlot(split);
    split->addWidget(m_graphModes);
    split->addWidget(m_curve);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);
    m_curve->setMinimumWidth(320);
    split->setSizes({600, 400});
    layout->addWidget(split, 1);
    m_overlapLabel = new QLabel(this);
    m_overlapLabel->setObjectName(QStringLiteral("circuitOverlap"));
    m_overlapLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_overlapLabel->setVisible(false);
    layout->addWidget(m_overlapLabel);
    buildButtons(this);

    connect(m_graph, &CircuitGraphView::graphReady, this, &CircuitPanel::onGraphReady);
    connect(m_graph, &CircuitGraphView::headClicked, this, &CircuitPanel::headClicked);
    connect(m_graph, &CircuitGraphView::edgeClicked, this, [this](qint64 edge) {
        if (!m_circuit) return;
        const QString name = QString::fromStdString(m_circuit->graph.edgeName(edge));
        Q_EMIT edgeToggled(edge, name, m_removedNames.contains(name));
    });
    // Effects are measured once per kept set (the view caches them until the set changes).
    connect(m_graph, &CircuitGraphView::edgeHovered, this, [this](qint64 edge) {
        if (edge >= 0 && static_cast<size_t>(edge) < m_kept.size() &&
            m_kept[static_cast<size_t>(edge)] && m_evaluation &&
            std::isnan(m_graph->removalEffect(edge)))
            Q_EMIT edgeEffectRequested(m_kept, edge);
    });
    connect(m_graph, &CircuitGraphView::nodeHovered, this, [this](int node) {
        if (!m_evaluation || !std::isnan(m_graph->nodeRemovalEffect(node))) return;
        std::vector<int64_t> kept;
        for (int64_t e : m_graph->edgesOf(node))
            if (static_cast<size_t>(e) < m_kept.size() && m_kept[static_cast<size_t>(e)])
                kept.push_back(e);
        if (!kept.empty()) Q_EMIT nodeEffectRequested(m_kept, node, kept);
    });
    connect(m_curve, &FaithfulnessCurvePlot::edgeCountClicked, this,
            [this](qint64 edges) { setEdgeCount(edges); });
}

void CircuitPanel::buildAmountRow(QWidget* host) {
    auto* row = new QHBoxLayout;
    m_mode = new QComboBox(host);
    m_mode->addItem(tr("top N edges"), static_cast<int>(CircuitAmount::TopEdges));
    m_mode->addItem(tr("% of edges"), static_cast<int>(CircuitAmount::Percent));
    m_mode->addItem(tr("score \u2265 \u03c4"), static_cast<int>(CircuitAmount::Threshold));
    m_slider = new QSlider(Qt::Horizontal, host);
    m_slider->setRange(0, kSliderSteps);
    m_slider->setToolTip(tr("How much circuit: more to the right"));
    m_box = new QDoubleSpinBox(host);
    m_box->setKeyboardTracking(false);
    m_box->setMinimumWidth(110);
    row->addWidget(new QLabel(tr("Circuit:"), host));
    row->addWidget(m_mode);
    row->addWidget(m_slider, 1);
    row->addWidget(m_box);
    m_positionsToggle = new QCheckBox(tr("positions as columns"), host);
    m_positionsToggle->setObjectName(QStringLiteral("circuitPositionsToggle"));
    row->addWidget(m_positionsToggle);
    static_cast<QVBoxLayout*>(layout())->addLayout(row);
    connect(m_positionsToggle, &QCheckBox::toggled, this, &CircuitPanel::setPositionsMode);
    updatePositionsToggle();
    connect(m_mode, &QComboBox::currentIndexChanged, this, &CircuitPanel::onModeChanged);
    connect(m_slider, &QSlider::valueChanged, this, &CircuitPanel::onSliderMoved);
    connect(m_box, &QDoubleSpinBox::valueChanged, this, &CircuitPanel::onBoxChanged);
    configureBox();
}

void CircuitPanel::buildButtons(QWidget* host) {
    auto* row = new QHBoxLayout;
    auto* open = new QPushButton(tr("Open circuit\u2026"), host);
    auto* compare = new QPushButton(tr("Compare with file\u2026"), host);
    auto* keep = new QPushButton(tr("Keep as B"), host);
    keep->setToolTip(tr("Compare later circuits with this one"));
    m_endCompare = new QPushButton(tr("End comparison"), host);
    m_endCompare->setEnabled(false);
    auto* save = new QPushButton(tr("Save circuit\u2026"), host);
    auto* image = new QPushButton(tr("Export graph\u2026"), host);
    for (QPushButton* b : {open, compare, keep, m_endCompare, save, image})
        row->addWidget(b);
    row->addStretch(1);
    static_cast<QVBoxLayout*>(layout())->addLayout(row);

    const auto openFile = [this](int slot) {
        const QString path = QFileDialog::getOpenFileName(
            this, slot == 0 ? tr("Open circuit") : tr("Compare with circuit"), QString(),
            tr("Circuits (*.json *.h5);;All (*)"));
        if (!path.isEmpty()) Q_EMIT openCircuitRequested(path, slot);
    };
    connect(open, &QPushButton::clicked, this, [openFile] { openFile(0); });
    connect(compare, &QPushButton::clicked, this, [openFile] { openFile(1); });
    connect(keep, &QPushButton::clicked, this, [this] { setComparison(currentCircuit()); });
    connect(m_endCompare, &QPushButton::clicked, this, [this] { setComparison(nullptr); });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save circuit"), QString(),
            tr("EAP-IG JSON (*.json);;Graphviz DOT (*.dot);;HDF5 circuit (*.h5)"));
        QString error;
        if (!path.isEmpty() && !saveCircuit(path, &error))
            QMessageBox::warning(this, tr("Save failed"), error);
    });
    connect(image, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export graph"), QString(), tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
        QString error;
        if (!path.isEmpty() && !m_graph->exportTo(path, QSize(1600, 1200), &error))
            QMessageBox::warning(this, tr("Export failed"), error);
    });
}

void CircuitPanel::setCircuit(CircuitPtr circuit) {
    m_pruning = false;
    m_pruningStates = 0;
    showCircuit(std::move(circuit));
}

void CircuitPanel::showPruning(CircuitPtr partial) {
    if (!partial || partial->inCircuit.empty()) return;
    ++m_pruningStates;
    const bool sameGraph =
        m_pruning && m_circuit && m_circuit->graph.edgeCount() == partial->graph.edgeCount();
    if (!sameGraph) {
        m_pruning = true;
        showCircuit(std::move(partial));  // ranked once; onGraphReady() shows its kept edges
    } else {
        m_circuit = std::move(partial);
        if (m_ranking) {
            m_kept = m_circuit->inCircuit;
            m_graph->setKeptEdges(m_kept);
        }
    }
    m_readout->setText(pruningText());
}

void CircuitPanel::endPruning(const QString& why) {
    if (!m_pruning) return;
    m_pruning = false;
    m_readout->setText(pruningText() + QStringLiteral(" \u2014 ") + why);
}

QString CircuitPanel::pruningText() const {
    if (!m_circuit) return {};
    const auto& kept = m_circuit->inCircuit;
    const auto removed = std::count(kept.begin(), kept.end(), uint8_t{0});
    return tr("%1: %2 of %3 edges removed so far")
        .arg(QString::fromStdString(m_circuit->method).toUpper())
        .arg(removed)
        .arg(kept.size());
}

void CircuitPanel::showCircuit(CircuitPtr circuit) {
    if (m_positionsMode) {  // a new circuit opens collapsed
        m_positionsMode = false;
        m_keptCells.clear();
        m_graphModes->setCurrentWidget(m_graph);
    }
    m_circuit = std::move(circuit);
    m_cellRanking.reset();
    updatePositionsToggle();
    m_ranking.reset();
    m_evaluation.reset();
    m_kept.clear();
    m_ownSelection = true;
    m_overlap.reset();
    m_curve->clear();
    if (!m_circuit) {
        m_graph->clear();
        m_readout->setText(tr("No circuit yet."));
        updateOverlap();
        return;
    }
    // A circuit from a session or a file is evaluated on its own pairs unless some are given.
    if (m_form->hasNoPairs()) m_form->fillFromCircuit(*m_circuit);
    m_curve->setCurve(m_circuit->curve, m_circuit->cpr, m_circuit->cmd);
    m_readout->setText(
        tr("Preparing the graph of %1 edges\u2026").arg(m_circuit->graph.edgeCount()));
    // Ranked by the signed score, as the faithfulness curve (MIB's CPR): the slider at a grid
    // point keeps the curve's edges, and a click on the curve reproduces its value.
    m_graph->setCircuit(m_circuit, false);  // ranks off the GUI thread, then onGraphReady()
    if (m_circuit->curve.empty() && !m_pruning) Q_EMIT scoreRequested(m_circuit);
}

void CircuitPanel::setScoredCircuit(CircuitPtr scored) {
    if (!scored || !m_circuit) return;
    m_curve->setCurve(scored->curve, scored->cpr, scored->cmd);
    auto updated = std::make_shared<Circuit>(*m_circuit);
    updated->curve = scored->curve;
    updated->cpr = scored->cpr;
    updated->cmd = scored->cmd;
    m_circuit = std::move(updated);
}

void CircuitPanel::onGraphReady() {
    m_ranking = m_graph->ranking();
    if (!m_ranking) return;
    if (m_positionsMode) {  // switched before the ranking was done: the cells rule
        m_graph->setKeptEdges(m_kept, removedIndices());
        return;
    }
    configureBox();
    // A's own selection first (what the method selected or ACDC kept), shown as its count.
    std::vector<uint8_t> own = m_circuit->inCircuit;
    own.resize(static_cast<size_t>(m_ranking->edgeCount()), 0);
    const auto count = static_cast<int64_t>(std::count(own.begin(), own.end(), 1));
    m_syncing = true;
    m_mode->setCurrentIndex(0);
    configureBox();
    m_box->setValue(double(count));
    m_slider->setValue(valueToSlider(double(count)));
    m_syncing = false;
    m_ownSelection = true;
    for (int64_t e : removedIndices())
        own[static_cast<size_t>(e)] = 0;
    applyKept(std::move(own));
}

std::vector<int64_t> CircuitPanel::removedIndices() const {
    std::vector<int64_t> out;
    if (!m_circuit) return out;
    for (const QString& name : m_removedNames) {
        const int64_t e = m_circuit->graph.edgeIndex(std::string_view(name.toStdString()));
        if (e >= 0) out.push_back(e);
    }
    return out;
}

void CircuitPanel::setRemovedEdges(const QStringList& names) {
    if (names == m_removedNames) return;
    m_removedNames = names;
    if (!m_ranking) return;
    if (m_ownSelection && !m_positionsMode) {
        std::vector<uint8_t> own = m_circuit->inCircuit;
        own.resize(static_cast<size_t>(m_ranking->edgeCount()), 0);
        for (int64_t e : removedIndices())
            own[static_cast<size_t>(e)] = 0;
        applyKept(std::move(own));
    } else {
        applyAmount();
    }
}

void CircuitPanel::setEvaluation(const CircuitEvaluationSnapshot& e) {
    m_evaluation = e;
    // The curve counts edges; a selection of (edge, position) cells has no place on it.
    if (!m_positionsMode) m_curve->setCurrent(e.keptEdges, e.totalEdges, e.faithfulness);
    m_readout->setText(readoutText());
}

void CircuitPanel::setEdgeRemovalFaithfulness(qint64 edge, double faithfulness) {
    if (!m_evaluation) return;
    m_graph->setRemovalEffect(edge, faithfulness - m_evaluation->faithfulness);
}

void CircuitPanel::setNodeRemovalFaithfulness(int node, double faithfulness) {
    if (!m_evaluation) return;
    m_graph->setNodeRemovalEffect(node, faithfulness - m_evaluation->faithfulness);
}

CircuitPtr CircuitPanel::currentCircuit() const {
    if (!m_circuit) return nullptr;
    auto c = std::make_shared<Circuit>(*m_circuit);
    if (!m_kept.empty()) c->inCircuit = m_kept;
    c->parameters["explorer"] = {{"mode", modeKey(amountMode()).toStdString()},
                                 {"value", amountValue()},
                                 {"kept_edges", keptEdgeCount()}};
    // The circuit's edges are those kept at any position; the cells are the explorer's view.
    if (m_positionsMode) c->parameters["explorer"]["positions_as_columns"] = true;
    return c;
}

void CircuitPanel::setComparison(CircuitPtr other) {
    m_other = std::move(other);
    m_graph->setComparison(m_other);
    updateOverlap();
}

void CircuitPanel::updateOverlap() {
    m_overlap.reset();
    m_endCompare->setEnabled(m_other != nullptr);
    if (m_other && m_circuit && !m_kept.empty()) {
        try {
            Circuit a;  // the current circuit: only its graph and kept edges matter here
            a.graph = m_circuit->graph;
            a.inCircuit = m_kept;
            m_overlap = circuits::overlap(a, *m_other);
        } catch (const std::exception& e) {
            m_overlapLabel->setText(tr("Cannot compare: %1").arg(QString::fromUtf8(e.what())));
            m_overlapLabel->setVisible(true);
            return;
        }
    }
    m_overlapLabel->setText(overlapText());
    m_overlapLabel->setVisible(m_other != nullptr);
}

QString CircuitPanel::overlapText() const {
    if (!m_overlap) return {};
    const auto& o = *m_overlap;
    return tr("A vs B \u2014 heads: Jaccard %1, |A\u2229B|/|A| %2 (%3 shared of %4 in A, %5 in "
              "B); edges: Jaccard %6, |A\u2229B|/|A| %7 (%8 shared of %9 in A, %10 in B)")
        .arg(o.headJaccard, 0, 'f', 4)
        .arg(o.headContainment, 0, 'f', 4)
        .arg(o.headsBoth)
        .arg(o.headsA)
        .arg(o.headsB)
        .arg(o.edgeJaccard, 0, 'f', 4)
        .arg(o.edgeContainment, 0, 'f', 4)
        .arg(o.edgesBoth)
        .arg(o.edgesA)
        .arg(o.edgesB);
}

bool CircuitPanel::saveCircuit(const QString& path, QString* error) const {
    const CircuitPtr c = currentCircuit();
    try {
        if (!c) throw std::runtime_error("no circuit to save");
        circuits::writeCircuitFile(path.toStdString(), *c);
        return true;
    } catch (const std::exception& e) {
        if (error) *error = tr("Cannot save %1: %2").arg(path, QString::fromUtf8(e.what()));
        return false;
    }
}

}  // namespace attnscope::ui
