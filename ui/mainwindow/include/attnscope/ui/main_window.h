#pragma once

#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/heatmap_panel.h"
#include "attnscope/ui/intervention_item.h"
#include "attnscope/ui/model_summary.h"
#include "attnscope/ui/run_snapshot.h"
#include "attnscope/ui/session_state.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QToolButton;
class QUndoStack;

namespace attnscope::ui {

class AblationCurvePlot;
class AnalysisPanel;
class AppController;
class AtlasPanel;
class CircuitPanel;
class HeadScoresTableModel;
class HeatmapView;
class InterventionListModel;
class InterventionsPanel;
class LogitLensPlot;
class MessageBar;
class PluginWatcher;
class ModelPanel;
class PlotsPanel;
class PredictionsView;
class PromptPanel;
class BatchResultsWindow;
class ScoreScatterPlot;
class TokenStripView;

/// AttnScope's main window, a frame that composes the panels: model and prompt (left dock),
/// the heatmap (centre), the head atlas and the predictions (right docks), and the plots,
/// interventions, analyses and the circuit explorer (bottom docks, tabbed). It keeps the edit list
/// (undoable) and routes the controller's snapshots to the panels; all model work goes through its
/// AppController. Settings (geometry, dock state, recent models, prompts) persist in
/// QSettings. GUI thread only.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    using MapView = HeatmapPanel::MapView;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// The bundled demo model's folder (ATTNSCOPE_DEMO_MODEL in the environment overrides).
    static QString demoModelPath();

    void openModel(const QString& dir);
    void openDemo();
    void openSession(const QString& path);
    void saveSession(const QString& path);
    /// Writes the Analysis tab's setup as a batch experiment file; false (and `error`) when
    /// no model is open or the file cannot be written.
    bool saveExperiment(const QString& path, QString* error = nullptr);
    /// Opens a batch results file in its own window (File ▸ Open results): the file is read on
    /// the controller's worker with progress in the status bar; the window appears when it is
    /// read (resultsWindow()), an unreadable file shows the reason (lastError()).
    void openResults(const QString& path);
    /// The newest results window, or null (closed, or none opened yet).
    BatchResultsWindow* resultsWindow() const;
    void setPrompt(const QString& prompt);
    void setCorruptedPrompt(const QString& prompt);
    void runPrompt();
    /// Starts the ablation curve of the atlas score on the current prompt (off the GUI thread);
    /// the result appears in the Plots dock's "Ablation curve" tab.
    void startAblationCurve();

    void selectHead(int layer, int head);
    HeadRef selectedHead() const { return m_selected; }
    void setMapView(MapView view);
    void setMapAverage(MapAverage average);
    /// Colours the atlas by a score: "sink (live)" or an analysis result's metric name.
    bool setAtlasScore(const QString& metric);
    QString atlasScore() const;

    /// Replaces the edit list as one undoable step (what every edit in the GUI does).
    void editInterventions(const InterventionList& items, const QString& text);
    /// Adds a plugin attention edit ("plugin:NAME" or "NAME") on a head as one undoable step;
    /// the next run applies it (a bad parameter or name fails that run, naming the key).
    void addPluginEdit(const QString& name, int layer, int head,
                       const QMap<QString, QString>& params = {});

    /// Errors go to the status bar and errorShown() only, not to dialogs (for tests).
    void setQuietErrors(bool quiet) { m_quietErrors = quiet; }
    QString lastError() const { return m_lastError; }

    AppController* controller() const { return m_controller; }
    HeadAtlasView* atlasView() const;
    HeatmapView* heatmapView() const;
    PredictionsView* predictionsView() const { return m_predictions; }
    TokenStripView* tokenStrip() const;
    InterventionListModel* interventionModel() const { return m_interventions; }
    QUndoStack* undoStack() const { return m_undo; }
    AnalysisPanel* analysisPanel() const { return m_analysis; }
    HeadScoresTableModel* scoresModel() const;
    QComboBox* scoreCombo() const;
    /// The scatter plot's x axis: the layer (first item) or another score.
    QComboBox* scatterXCombo() const;
    ScoreScatterPlot* scatterPlot() const;
    QTabWidget* plotTabs() const;
    LogitLensPlot* logitLensPlot() const;
    AblationCurvePlot* ablationCurvePlot() const;
    QPushButton* ablationCurveButton() const;
    HeatmapPanel* heatmapPanel() const { return m_heatmapPanel; }
    AtlasPanel* atlasPanel() const { return m_atlasPanel; }
    PlotsPanel* plotsPanel() const { return m_plots; }
    PromptPanel* promptPanel() const { return m_promptPanel; }
    InterventionsPanel* interventionsPanel() const { return m_editsPanel; }
    CircuitPanel* circuitPanel() const { return m_circuitPanel; }
    /// Brings the circuit explorer's dock to the front.
    void showCircuitPanel();
    QString statusText() const;
    /// The bar above the heatmap that lists plugin errors.
    MessageBar* messageBar() const { return m_messageBar; }
    PluginWatcher* pluginWatcher() const { return m_pluginWatcher; }
    /// Reloads the plugin scripts (Run ▸ Reload plugins; also when a plugin file changes):
    /// the analysis form offers the new metric list, failures appear in the message bar.
    /// Waits for a running analysis to finish first.
    void reloadPlugins();

Q_SIGNALS:
    /// reloadPlugins() finished; the analysis form lists the reloaded metrics.
    void pluginsReloaded();
    /// A run's snapshot reached every view.
    void viewUpdated();
    /// openSession() finished: the session's prompts, edits, results and selection are shown.
    void sessionRestored();
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // main_window.cpp: the frame: panels in docks, menus, settings
    void buildPanels();
    void arrangeDocks();
    /// Gives the docks their share of the window's current size (first show, when no saved
    /// layout was restored).
    void sizeDocks();
    void buildMenus();
    void buildStatusBar();
    void connectPanels();
    void connectController();
    void restoreSettings();
    void saveSettings() const;
    void addRecent(const QString& dir);
    void rebuildRecentMenu();
    void showError(const QString& message);
    // main_window_views.cpp: snapshots into panels, edits out of them
    void onModelOpened(const ModelSummary& summary);
    void onResults(std::shared_ptr<const RunSnapshot> run);
    void onProgress(const QString& task, double fraction, const QString& message);
    void onAnalysisFinished(const HeadScoresSnapshot& scores);
    void onAblationCurveFinished(const AblationCurveSnapshot& curve);
    void onSessionLoaded(const SessionState& state);
    void updateScoreViews();
    void refreshScoreChoices();
    const HeadScoresSnapshot* currentScores() const;
    const HeadScoresSnapshot* scoresNamed(const QString& metric) const;
    void applyInterventions(const InterventionList& items);
    void toggleAblation(int layer, int head);
    void requestIntervention(const QString& kind, int layer, int head);
    // main_window_plugins.cpp: asks which plugin edit, head and parameters (addPluginEdit)
    void choosePluginEdit();
    // main_window_circuits.cpp: the circuit explorer between its panel and the controller
    void connectCircuitPanel();
    void toggleEdge(const QString& name);
    void syncRemovedEdges();
    void syncPromptsToController();
    SessionState sessionState() const;
    // main_window_actions.cpp: file dialogs and exports
    void openModelDialog();
    void openSessionDialog();
    void saveSessionDialog();
    void saveExperimentDialog();
    void openResultsDialog();
    void exportHeatmapDialog();
    void exportPredictionsDialog();
    void exportScoresDialog();

    void onPluginsReloaded(const QStringList& errors);
    void showPluginErrors();

    AppController* m_controller = nullptr;
    PluginWatcher* m_pluginWatcher = nullptr;
    MessageBar* m_messageBar = nullptr;
    bool m_pluginReloadPending = false;  // asked for while an analysis ran
    QUndoStack* m_undo = nullptr;
    InterventionListModel* m_interventions = nullptr;
    InterventionList m_applied;  // the list the controller runs with

    ModelPanel* m_modelPanel = nullptr;
    PromptPanel* m_promptPanel = nullptr;
    HeatmapPanel* m_heatmapPanel = nullptr;
    AtlasPanel* m_atlasPanel = nullptr;
    PredictionsView* m_predictions = nullptr;
    InterventionsPanel* m_editsPanel = nullptr;
    PlotsPanel* m_plots = nullptr;
    AnalysisPanel* m_analysis = nullptr;
    CircuitPanel* m_circuitPanel = nullptr;
    QDockWidget* m_modelDock = nullptr;
    QDockWidget* m_atlasDock = nullptr;
    QDockWidget* m_predictionsDock = nullptr;
    QDockWidget* m_plotsDock = nullptr;
    QDockWidget* m_editsDock = nullptr;
    QDockWidget* m_analysisDock = nullptr;
    QDockWidget* m_circuitDock = nullptr;
    bool m_circuitAsComparison = false;  // the running discovery becomes circuit B
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_cancel = nullptr;

    std::shared_ptr<const RunSnapshot> m_run;
    QPointer<BatchResultsWindow> m_resultsWindow;
    HeadRef m_selected{0, 0};
    bool m_quietErrors = false;
    QString m_lastError;
    bool m_settingItems = false;
    bool m_restoringSession = false;  // openSession() until sessionLoaded or a failure
    bool m_docksSized = false;        // by sizeDocks() or a restored layout
};

}  // namespace attnscope::ui
