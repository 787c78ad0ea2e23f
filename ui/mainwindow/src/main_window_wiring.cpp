// Signals between the panels, the window and the controller; accessors to the panels' views.
#include <QPushButton>

#include "attnscope/app/batch.h"
#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/atlas_panel.h"
#include "attnscope/ui/batch_results_window.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/interventions_panel.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/message_bar.h"
#include "attnscope/ui/plots_panel.h"
#include "attnscope/ui/plugin_watcher.h"
#include "attnscope/ui/prompt_panel.h"
#include "attnscope/ui/token_strip_view.h"

#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

namespace attnscope::ui {

void MainWindow::connectPanels() {
    connect(m_promptPanel, &PromptPanel::runRequested, this, &MainWindow::runPrompt);
    connect(tokenStrip(), &TokenStripView::tokenClicked, this, [this](int index) {
        heatmapView()->highlightRow(index);
        heatmapView()->highlightColumn(index);
    });
    connect(m_heatmapPanel, &HeatmapPanel::headChanged, this, &MainWindow::selectHead);
    connect(heatmapView(), &HeatmapView::cellClicked, this, [this](int query, int key) {
        if (query >= 0 && key >= 0) {
            heatmapView()->highlightRow(query);
            heatmapView()->highlightColumn(key);
        }
        tokenStrip()->setSelectedToken(query >= 0 ? query : key);
    });

    connect(m_atlasPanel, &AtlasPanel::scoreChanged, this, &MainWindow::updateScoreViews);
    connect(m_atlasPanel, &AtlasPanel::headClicked, this, &MainWindow::selectHead);
    connect(atlasView(), &HeadAtlasView::ablationToggled, this, &MainWindow::toggleAblation);
    connect(atlasView(), &HeadAtlasView::interventionRequested, this,
            &MainWindow::requestIntervention);

    connect(m_editsPanel, &InterventionsPanel::removeRequested, this, [this](int row) {
        if (row < 0 || row >= static_cast<int>(m_applied.size())) return;
        InterventionList items = m_applied;
        items.erase(items.begin() + row);
        editInterventions(items, tr("Remove intervention"));
    });
    connect(m_editsPanel, &InterventionsPanel::clearRequested, this,
            [this] { editInterventions({}, tr("Clear interventions")); });
    connect(m_editsPanel, &InterventionsPanel::pluginEditRequested, this,
            &MainWindow::choosePluginEdit);
    // Edits made in the table itself (checkbox, parameter) become undoable steps too.
    connect(m_interventions, &InterventionListModel::itemsChanged, this, [this] {
        if (!m_settingItems) editInterventions(m_interventions->items(), tr("Edit intervention"));
    });

    connect(m_plots, &PlotsPanel::scatterXChanged, this, &MainWindow::updateScoreViews);
    connect(m_plots, &PlotsPanel::curveRequested, this, &MainWindow::startAblationCurve);
    connect(m_plots, &PlotsPanel::headClicked, this, &MainWindow::selectHead);

    connect(m_analysis, &AnalysisPanel::runRequested, this, [this](AnalysisRequest request) {
        syncPromptsToController();
        if (request.datasetPath.isEmpty() && request.prompts.isEmpty()) {
            request.prompts << m_controller->prompt();
            if (!m_controller->corruptedPrompt().trimmed().isEmpty())
                request.prompts << m_controller->corruptedPrompt();
        }
        m_analysis->setRunning(true);
        m_controller->startAnalysis(request);
    });
    connect(m_analysis, &AnalysisPanel::saveExperimentRequested, this,
            &MainWindow::saveExperimentDialog);
    connect(m_analysis, &AnalysisPanel::cancelRequested, m_controller,
            &AppController::cancelAnalysis);
    connectCircuitPanel();
}

void MainWindow::connectController() {
    connect(m_controller, &AppController::modelOpened, this, &MainWindow::onModelOpened);
    connect(m_controller, &AppController::modelLoadFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::resultsAvailable, this, &MainWindow::onResults);
    connect(m_controller, &AppController::runFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::progressChanged, this, &MainWindow::onProgress);
    connect(m_controller, &AppController::analysisFinished, this, &MainWindow::onAnalysisFinished);
    connect(m_controller, &AppController::analysisFailed, this, [this](const QString& message) {
        m_analysis->setFailed(message);
        // A plugin's failure (its file, line and traceback) goes to the message bar: the
        // window carries on and the user edits the script and reloads.
        if (message.startsWith(QLatin1String("plugin "))) {
            m_messageBar->showMessages(tr("A plugin metric failed:"), {message});
            m_status->setText(message.section(QLatin1Char('\n'), 0, 0));
            m_lastError = message;
            Q_EMIT errorShown(message);
        } else {
            showError(message);
        }
        if (m_pluginReloadPending) reloadPlugins();
    });
    connect(m_controller, &AppController::analysisCancelled, this, [this] {
        m_analysis->setCancelled();
        m_status->setText(tr("Analysis cancelled"));
        if (m_pluginReloadPending) reloadPlugins();
    });
    connect(m_pluginWatcher, &PluginWatcher::changedOnDisk, this, &MainWindow::reloadPlugins);
    connect(m_pluginWatcher, &PluginWatcher::reloaded, this, &MainWindow::onPluginsReloaded);
    connect(m_controller, &AppController::ablationCurveFinished, this,
            &MainWindow::onAblationCurveFinished);
    connect(m_controller, &AppController::ablationCurveFailed, this, [this](const QString& m) {
        m_plots->setCurveRunning(false);
        showError(m);
    });
    connect(m_controller, &AppController::ablationCurveCancelled, this, [this] {
        m_plots->setCurveRunning(false);
        m_status->setText(tr("Ablation curve cancelled"));
    });
    connect(m_controller, &AppController::sessionSaved, this, [this](const QString& path) {
        m_status->setText(tr("Session saved to %1").arg(path));
    });
    connect(m_controller, &AppController::sessionLoaded, this, &MainWindow::onSessionLoaded);
    connect(m_controller, &AppController::sessionFailed, this, &MainWindow::showError);
    connect(m_controller, &AppController::batchResultsOpened, this,
            [this](std::shared_ptr<const app::BatchResultsFile> results, const QString& path) {
                auto* window = new BatchResultsWindow(this);
                window->setAttribute(Qt::WA_DeleteOnClose);
                window->showResults(std::move(results), path);
                m_resultsWindow = window;
                m_status->setText(tr("Opened results %1").arg(path));
            });
    connect(m_controller, &AppController::batchResultsFailed, this,
            [this](const QString& path, const QString& message) {
                showError(tr("Cannot open %1:\n%2").arg(path, message));
            });
    connect(m_controller, &AppController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
    });
}

HeadAtlasView* MainWindow::atlasView() const {
    return m_atlasPanel->atlas();
}
HeatmapView* MainWindow::heatmapView() const {
    return m_heatmapPanel->heatmap();
}
TokenStripView* MainWindow::tokenStrip() const {
    return m_promptPanel->tokenStrip();
}
HeadScoresTableModel* MainWindow::scoresModel() const {
    return m_atlasPanel->model();
}
QComboBox* MainWindow::scoreCombo() const {
    return m_atlasPanel->scoreCombo();
}
QComboBox* MainWindow::scatterXCombo() const {
    return m_plots->scatterXCombo();
}
ScoreScatterPlot* MainWindow::scatterPlot() const {
    return m_plots->scatter();
}
QTabWidget* MainWindow::plotTabs() const {
    return m_plots->tabs();
}
LogitLensPlot* MainWindow::logitLensPlot() const {
    return m_plots->lens();
}
AblationCurvePlot* MainWindow::ablationCurvePlot() const {
    return m_plots->curve();
}
QPushButton* MainWindow::ablationCurveButton() const {
    return m_plots->curveButton();
}

}  // namespace attnscope::ui
