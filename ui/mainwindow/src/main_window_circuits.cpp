// The circuit explorer between its panel, the edit list and the controller: discoveries and
// circuit files in, evaluations of the kept edges out (one patched forward each), edge clicks
// as undoable remove_edge edits, and the evaluated predictions in the predictions panel.
#include <QDockWidget>
#include <QLabel>

#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/circuit_run_form.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_view.h"

#include <algorithm>

namespace attnscope::ui {

void MainWindow::showCircuitPanel() {
    m_circuitDock->show();
    m_circuitDock->raise();
}

void MainWindow::connectCircuitPanel() {
    CircuitRunForm* form = m_circuitPanel->form();
    connect(form, &CircuitRunForm::runRequested, this,
            [this, form](const app::CircuitRequest& request, bool asComparison) {
                m_circuitAsComparison = asComparison;
                form->setRunning(true);
                m_controller->startCircuit(request);
            });
    connect(form, &CircuitRunForm::cancelRequested, m_controller, &AppController::cancelCircuit);
    connect(m_controller, &AppController::circuitFinished, this, [this, form](CircuitPtr c) {
        form->setRunning(false);
        form->setProgress(1.0, tr("%1: %2 edges scored, %3 kept")
                                   .arg(QString::fromStdString(c->method))
                                   .arg(c->graph.edgeCount())
                                   .arg(std::count(c->inCircuit.begin(), c->inCircuit.end(), 1)));
        if (m_circuitAsComparison && m_circuitPanel->circuit())
            m_circuitPanel->setComparison(c);
        else
            m_circuitPanel->setCircuit(c);
        m_status->setText(tr("Circuit found (%1)").arg(QString::fromStdString(c->method)));
    });
    connect(m_controller, &AppController::circuitPruned, this, [this](CircuitPtr partial) {
        if (!m_circuitAsComparison || !m_circuitPanel->circuit())
            m_circuitPanel->showPruning(std::move(partial));
    });
    connect(m_controller, &AppController::circuitCancelled, this, [this, form] {
        m_circuitPanel->endPruning(tr("cancelled"));
        form->setRunning(false);
        form->setProgress(0.0, tr("Cancelled."));
        m_status->setText(tr("Circuit discovery cancelled"));
    });
    connect(m_controller, &AppController::circuitFailed, this, [this, form](const QString& m) {
        m_circuitPanel->endPruning(tr("failed"));
        form->setRunning(false);
        form->setProgress(0.0, m.section(QLatin1Char('\n'), 0, 0));
        showError(m);
    });
    connect(m_controller, &AppController::progressChanged, this,
            [form](const QString& task, double fraction, const QString& message) {
                if (task == QLatin1String("circuit")) form->setProgress(fraction, message);
            });

    connect(m_circuitPanel, &CircuitPanel::evaluationRequested, this,
            [this, form](const std::vector<uint8_t>& kept) {
                m_controller->evaluateCircuit(form->request(), kept);
            });
    connect(m_controller, &AppController::circuitEvaluated, this,
            [this](const CircuitEvaluationSnapshot& e) {
                m_circuitPanel->setEvaluation(e);
                m_predictions->setSnapshot(e.predictions);  // the circuit's answer, live
            });
    connect(m_controller, &AppController::circuitEvaluationFailed, this, [this](const QString& m) {
        m_circuitPanel->readout()->setText(
            tr("Cannot evaluate: %1").arg(m.section(QLatin1Char('\n'), 0, 0)));
    });
    connect(m_circuitPanel, &CircuitPanel::edgeEffectRequested, this,
            [this, form](const std::vector<uint8_t>& kept, qint64 edge) {
                m_controller->measureEdgeRemoval(form->request(), kept, edge);
            });
    connect(m_controller, &AppController::edgeRemovalMeasured, m_circuitPanel,
            &CircuitPanel::setEdgeRemovalFaithfulness);
    connect(m_circuitPanel, &CircuitPanel::nodeEffectRequested, this,
            [this, form](const std::vector<uint8_t>& kept, int node,
                         const std::vector<int64_t>& edges) {
                m_controller->measureNodeRemoval(form->request(), kept, node, edges);
            });
    connect(m_controller, &AppController::nodeRemovalMeasured, m_circuitPanel,
            &CircuitPanel::setNodeRemovalFaithfulness);
    connect(m_circuitPanel, &CircuitPanel::scoreRequested, this,
            [this, form](CircuitPtr c) { m_controller->scoreCircuit(form->request(), c); });
    connect(m_controller, &AppController::circuitScored, m_circuitPanel,
            &CircuitPanel::setScoredCircuit);
    connect(m_circuitPanel, &CircuitPanel::openCircuitRequested, m_controller,
            &AppController::openCircuitFile);
    connect(m_controller, &AppController::circuitFileOpened, this,
            [this](CircuitPtr c, int slot, const QString& path) {
                if (slot == 1)
                    m_circuitPanel->setComparison(c);
                else
                    m_circuitPanel->setCircuit(c);
                m_status->setText(tr("Opened circuit %1").arg(path));
            });
    connect(m_circuitPanel, &CircuitPanel::headClicked, this, &MainWindow::selectHead);
    connect(m_circuitPanel, &CircuitPanel::edgeToggled, this,
            [this](qint64, const QString& name, bool) { toggleEdge(name); });
}

// An edge click removes the edge, or restores it when an edit removed it: one undoable step
// in the same edit list as the head edits.
void MainWindow::toggleEdge(const QString& name) {
    InterventionList items = m_applied;
    const auto it = std::find_if(items.begin(), items.end(), [&](const InterventionItem& i) {
        return i.kind == kinds::kRemoveEdge && i.edge == name;
    });
    const bool restore = it != items.end();
    if (restore)
        items.erase(it);
    else
        items.push_back(
            {kinds::kRemoveEdge, 0, 0, 0.0, true, tr("remove edge %1").arg(name), name});
    editInterventions(items,
                      restore ? tr("Restore edge %1").arg(name) : tr("Remove edge %1").arg(name));
}

void MainWindow::syncRemovedEdges() {
    QStringList names;
    for (const InterventionItem& i : m_applied)
        if (i.enabled && i.kind == kinds::kRemoveEdge) names << i.edge;
    m_circuitPanel->setRemovedEdges(names);
}

}  // namespace attnscope::ui
