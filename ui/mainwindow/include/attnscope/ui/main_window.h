#pragma once

#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/intervention_item.h"
#include "attnscope/ui/model_summary.h"
#include "attnscope/ui/run_snapshot.h"
#include "attnscope/ui/session_state.h"

#include <QMainWindow>

#include <memory>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QToolButton;
class QUndoStack;

namespace attnscope::ui {

class AblationCurvePlot;
class AnalysisPanel;
class AppController;
class HeadScoresProxyModel;
class HeadScoresTableModel;
class HeatmapView;
class InterventionListModel;
class LogitLensPlot;
class PredictionsView;
class ScoreHistogramPlot;
class ScoreScatterPlot;
class SinkMassPlot;
class TokenStripView;

/// AttnScope's main window: model and prompt on the left, the attention heatmap in the
/// centre, the head atlas and score table on the right, predictions, interventions, plots
/// and analyses at the bottom. All model work goes through its AppController; the window
/// only shows snapshots. Settings (geometry, dock state, recent models, prompts) persist in
/// QSettings. GUI thread only.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// What the heatmap shows.
    enum class MapView { Edited, Baseline, Difference, Corrupted, CorruptedDifference };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// The bundled demo model's folder (ATTNSCOPE_DEMO_MODEL in the environment overrides).
    static QString demoModelPath();

    void openModel(const QString& dir);
    void openDemo();
    void openSession(const QString& path);
    void saveSession(const QString& path);
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

    /// Errors go to the status bar and errorShown() only, not to dialogs (for tests).
    void setQuietErrors(bool quiet) { m_quietErrors = quiet; }
    QString lastError() const { return m_lastError; }

    AppController* controller() const { return m_controller; }
    HeadAtlasView* atlasView() const { return m_atlas; }
    HeatmapView* heatmapView() const { return m_heatmap; }
    PredictionsView* predictionsView() const { return m_predictions; }
    TokenStripView* tokenStrip() const { return m_tokens; }
    InterventionListModel* interventionModel() const { return m_interventions; }
    QUndoStack* undoStack() const { return m_undo; }
    AnalysisPanel* analysisPanel() const { return m_analysis; }
    HeadScoresTableModel* scoresModel() const { return m_scoresModel; }
    QComboBox* scoreCombo() const { return m_scoreCombo; }
    /// The scatter plot's x axis: the layer (first item) or another score.
    QComboBox* scatterXCombo() const { return m_scatterXCombo; }
    ScoreScatterPlot* scatterPlot() const { return m_scatter; }
    QTabWidget* plotTabs() const { return m_plotTabs; }
    LogitLensPlot* logitLensPlot() const { return m_lensPlot; }
    AblationCurvePlot* ablationCurvePlot() const { return m_curvePlot; }
    QPushButton* ablationCurveButton() const { return m_curveButton; }
    QString statusText() const;

Q_SIGNALS:
    /// A run's snapshot reached every view.
    void viewUpdated();
    /// openSession() finished: the session's prompts, edits, results and selection are shown.
    void sessionRestored();
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // main_window.cpp: layout, menus, settings
    void buildCentre();
    void buildDocks();
    void buildMenus();
    void connectController();
    void restoreSettings();
    void saveSettings() const;
    void addRecent(const QString& dir);
    void rebuildRecentMenu();
    void showError(const QString& message);
    // main_window_views.cpp: snapshots into views, edits
    void onModelOpened(const ModelSummary& summary);
    void onResults(std::shared_ptr<const RunSnapshot> run);
    void onProgress(const QString& task, double fraction, const QString& message);
    void onAnalysisFinished(const HeadScoresSnapshot& scores);
    void onAblationCurveFinished(const AblationCurveSnapshot& curve);
    void onSessionLoaded(const SessionState& state);
    void updateHeatmap();
    void updateScoreViews();
    void refreshScoreCombo();
    const HeadScoresSnapshot* currentScores() const;
    const HeadScoresSnapshot* scoresNamed(const QString& metric) const;
    void applyInterventions(const InterventionList& items);
    void toggleAblation(int layer, int head);
    void requestIntervention(const QString& kind, int layer, int head);
    void syncPromptsToController();
    SessionState sessionState() const;
    // main_window_actions.cpp: file dialogs and exports
    void openModelDialog();
    void openSessionDialog();
    void saveSessionDialog();
    void exportHeatmapDialog();
    void exportPredictionsDialog();
    void exportScoresDialog();

    AppController* m_controller = nullptr;
    QUndoStack* m_undo = nullptr;
    InterventionListModel* m_interventions = nullptr;
    InterventionList m_applied;  // the list the controller runs with
    HeadScoresTableModel* m_scoresModel = nullptr;
    HeadScoresProxyModel* m_scoresProxy = nullptr;

    QFormLayout* m_modelInfo = nullptr;
    QLabel* m_modelLabels[8] = {};
    QPlainTextEdit* m_prompt = nullptr;
    QLineEdit* m_corrupted = nullptr;
    TokenStripView* m_tokens = nullptr;
    HeatmapView* m_heatmap = nullptr;
    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QComboBox* m_averageCombo = nullptr;
    QComboBox* m_viewCombo = nullptr;
    HeadAtlasView* m_atlas = nullptr;
    QComboBox* m_scoreCombo = nullptr;
    QComboBox* m_scatterXCombo = nullptr;
    QTableView* m_scoresTable = nullptr;
    PredictionsView* m_predictions = nullptr;
    QTableView* m_interventionsTable = nullptr;
    SinkMassPlot* m_sinkPlot = nullptr;
    ScoreHistogramPlot* m_histogram = nullptr;
    ScoreScatterPlot* m_scatter = nullptr;
    LogitLensPlot* m_lensPlot = nullptr;
    AblationCurvePlot* m_curvePlot = nullptr;
    QWidget* m_curveTab = nullptr;
    QPushButton* m_curveButton = nullptr;
    QTabWidget* m_plotTabs = nullptr;
    AnalysisPanel* m_analysis = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_cancel = nullptr;

    std::shared_ptr<const RunSnapshot> m_run;
    HeadRef m_selected{0, 0};
    bool m_quietErrors = false;
    QString m_lastError;
    QString m_pendingScore;  // atlas score to restore once a session's results are in
    bool m_settingItems = false;
    bool m_restoringSession = false;  // openSession() until sessionLoaded or a failure
};

}  // namespace attnscope::ui
