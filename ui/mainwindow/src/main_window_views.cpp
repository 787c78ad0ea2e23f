// Snapshots into the panels, and edits out of them.
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QProgressBar>
#include <QUndoStack>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/atlas_panel.h"
#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/model_panel.h"
#include "attnscope/ui/plots_panel.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/prompt_panel.h"
#include "attnscope/ui/set_interventions_command.h"
#include "attnscope/ui/token_strip_view.h"

#include <algorithm>

namespace attnscope::ui {
namespace {

const QString kLiveScore = QStringLiteral("sink (live)");

QString kindLabel(const QString& kind) {
    if (kind == kinds::kZeroAblation) return QObject::tr("zero ablation");
    if (kind == kinds::kMeanAblation) return QObject::tr("mean ablation");
    if (kind == kinds::kScale) return QObject::tr("scale");
    if (kind == kinds::kSinkWindow) return QObject::tr("sink + window");
    if (kind == kinds::kActCalibration) return QObject::tr("ACT calibration");
    if (kind == kinds::kPatch) return QObject::tr("patch from corrupted prompt");
    return kind;
}

}  // namespace

void MainWindow::openModel(const QString& dir) {
    m_status->setText(tr("Opening %1\u2026").arg(dir));
    m_controller->openModel(dir);
}

void MainWindow::openDemo() {
    openModel(demoModelPath());
}

void MainWindow::openSession(const QString& path) {
    m_status->setText(tr("Opening session %1\u2026").arg(path));
    m_restoringSession = true;  // the session's prompts run, not the ones in the boxes
    m_controller->loadSession(path);
}

void MainWindow::saveSession(const QString& path) {
    syncPromptsToController();
    std::vector<CircuitPtr> circuits;
    if (CircuitPtr a = m_circuitPanel->currentCircuit()) {
        circuits.push_back(a);
        if (m_circuitPanel->comparison()) circuits.push_back(m_circuitPanel->comparison());
    }
    m_controller->setCircuits(std::move(circuits));
    m_controller->saveSession(path, sessionState());
}

void MainWindow::setPrompt(const QString& prompt) {
    m_promptPanel->setPrompt(prompt);
}

void MainWindow::setCorruptedPrompt(const QString& prompt) {
    m_promptPanel->setCorruptedPrompt(prompt);
}

void MainWindow::syncPromptsToController() {
    m_controller->setPrompt(m_promptPanel->prompt());
    m_controller->setCorruptedPrompt(m_promptPanel->corruptedPrompt());
    m_controller->setSplitSpecialTokens(m_promptPanel->splitSpecialTokens());
}

void MainWindow::runPrompt() {
    syncPromptsToController();
    if (m_promptPanel->prompt().trimmed().isEmpty()) {
        // Nothing to run: say so where the map would be, instead of a one-token map.
        m_run.reset();
        m_heatmapPanel->clear(tr("Type a prompt, then Run (Ctrl+R)"));
        m_status->setText(tr("The prompt is empty: type one, then Run (Ctrl+R)"));
        return;
    }
    m_controller->runNow();
}

SessionState MainWindow::sessionState() const {
    SessionState s;
    s.atlasScore = atlasScore();
    s.selectedLayer = m_selected.layer;
    s.selectedHead = m_selected.head;
    return s;  // the controller fills in model, prompts, edits and results
}

void MainWindow::onModelOpened(const ModelSummary& m) {
    m_modelPanel->setModel(m);
    m_heatmapPanel->setModelShape(m.layers, m.heads);
    addRecent(m.path);
    setWindowTitle(tr("AttnScope \u2013 %1").arg(QFileInfo(m.path).fileName()));
    m_undo->clear();
    applyInterventions({});
    m_run.reset();
    m_plots->setCurve({});  // a curve of the previous model
    m_circuitPanel->setCircuit(nullptr);
    m_circuitPanel->setComparison(nullptr);
    refreshScoreChoices();
    // A fresh prompt that suits the model: the folder's demo prompt, else a sample.
    if (m_promptPanel->prompt().trimmed().isEmpty()) m_promptPanel->setPrompt(defaultPrompt(m));
    m_status->setText(tr("Opened %1 (%2)").arg(m.path, m.architecture));
    m_promptPanel->setPromptHint(
        m.hasTokenizer ? QString() : tr("This model has no tokenizer: type token ids, e.g. 1,2,3"));
    if (!m_restoringSession) runPrompt();  // a session runs its own prompts
}

void MainWindow::onResults(std::shared_ptr<const RunSnapshot> run) {
    m_run = std::move(run);
    tokenStrip()->setTokens(m_run->tokens);
    m_predictions->setSnapshot(m_run->predictions);
    m_plots->setRun(*m_run);
    updateScoreViews();
    m_heatmapPanel->setRun(m_run);
    const int edits =
        static_cast<int>(std::count_if(m_run->interventions.begin(), m_run->interventions.end(),
                                       [](const InterventionItem& i) { return i.enabled; }));
    QString status = tr("Run %1: %2 tokens, %3 active edit(s)")
                         .arg(m_run->generation)
                         .arg(m_run->length)
                         .arg(edits);
    QStringList unknown;
    for (const TokensSnapshot::Token& t : m_run->tokens.tokens)
        if (t.unknown) unknown << QStringLiteral("\u201c%1\u201d").arg(t.source.trimmed());
    if (!unknown.isEmpty())
        status += tr(" \u2014 not in the vocabulary, read as the unknown token: %1")
                      .arg(unknown.join(QStringLiteral(", ")));
    m_status->setText(status);
    Q_EMIT viewUpdated();
}

void MainWindow::onProgress(const QString& task, double fraction, const QString& message) {
    // Evaluations of the circuit explorer take milliseconds: the readout shows them.
    if (task == QLatin1String("circuit evaluation") || task == QLatin1String("edge effect")) return;
    m_progress->setValue(static_cast<int>(fraction * 1000));
    if (task == QLatin1String("analysis")) m_analysis->setProgress(fraction, message);
    m_status->setText(message.isEmpty() ? tr("Running %1\u2026").arg(task)
                                        : QStringLiteral("%1: %2").arg(task, message));
}

void MainWindow::onAnalysisFinished(const HeadScoresSnapshot& scores) {
    if (m_pluginReloadPending) reloadPlugins();
    m_analysis->setRunning(false);
    m_analysis->setProgress(1.0, tr("done"));
    refreshScoreChoices();
    setAtlasScore(scores.metric);
    m_status->setText(tr("Analysis %1 finished").arg(scores.metric));
}

void MainWindow::startAblationCurve() {
    const HeadScoresSnapshot* scores = currentScores();
    if (!scores || !scores->isValid()) {
        showError(tr("Run the prompt first: the ablation curve orders heads by the atlas score."));
        return;
    }
    syncPromptsToController();
    AblationCurveRequest request;
    request.scores = *scores;
    request.scoreLabel = m_atlasPanel->scoreLabel();
    m_plots->setCurveRunning(true);
    m_controller->startAblationCurve(request);
}

void MainWindow::onAblationCurveFinished(const AblationCurveSnapshot& curve) {
    m_plots->setCurveRunning(false);
    m_plots->setCurve(curve);
    m_plots->showCurve();
    m_status->setText(tr("Ablation curve by %1 finished").arg(curve.score));
}

void MainWindow::onSessionLoaded(const SessionState& state) {
    m_settingItems = true;
    m_promptPanel->setPrompt(state.prompt);
    m_promptPanel->setCorruptedPrompt(state.corruptedPrompt);
    m_settingItems = false;
    m_undo->clear();
    m_applied = state.interventions;
    m_settingItems = true;
    m_interventions->setItems(state.interventions);
    m_settingItems = false;
    if (!state.circuits.empty()) {
        m_circuitPanel->setCircuit(state.circuits[0]);
        m_circuitPanel->setComparison(state.circuits.size() > 1 ? state.circuits[1] : nullptr);
    }
    applyInterventions(state.interventions);
    refreshScoreChoices();
    if (!state.atlasScore.isEmpty()) setAtlasScore(state.atlasScore);
    // The analysis form shows how the atlas's result (else the last one) was computed.
    const auto& results = m_controller->results();
    const auto shown = std::find_if(results.begin(), results.end(),
                                    [&](const auto& r) { return r.metric == state.atlasScore; });
    if (shown != results.end())
        m_analysis->setRequest(AppController::requestOf(*shown));
    else if (!results.empty())
        m_analysis->setRequest(AppController::requestOf(results.back()));
    selectHead(state.selectedLayer, state.selectedHead);
    m_restoringSession = false;
    m_status->setText(tr("Session restored"));
    Q_EMIT sessionRestored();
}

// The atlas offers the live sink score and every analysis result; the scatter plot's x axis
// offers the same.
void MainWindow::refreshScoreChoices() {
    std::vector<std::pair<QString, QString>> choices{{tr("Sink score (live run)"), kLiveScore}};
    for (const HeadScoresSnapshot& r : m_controller->results())
        choices.emplace_back(r.description.isEmpty() ? r.metric : r.description, r.metric);
    m_plots->setScatterChoices(choices);
    m_atlasPanel->setScoreChoices(choices);
    updateScoreViews();
}

bool MainWindow::setAtlasScore(const QString& metric) {
    if (!m_atlasPanel->setScore(metric)) return false;
    updateScoreViews();
    return true;
}

QString MainWindow::atlasScore() const {
    return m_atlasPanel->score();
}

const HeadScoresSnapshot* MainWindow::currentScores() const {
    const QString metric = atlasScore();
    return scoresNamed(metric.isEmpty() ? kLiveScore : metric);
}

const HeadScoresSnapshot* MainWindow::scoresNamed(const QString& metric) const {
    if (metric == kLiveScore) return m_run ? &m_run->sinkScores : nullptr;
    for (const HeadScoresSnapshot& r : m_controller->results())
        if (r.metric == metric) return &r;
    return nullptr;
}

void MainWindow::updateScoreViews() {
    std::vector<HeadEditMark> marks;
    for (const InterventionItem& i : m_applied)
        if (i.enabled && i.kind != kinds::kRemoveEdge)
            marks.push_back({{i.layer, i.head}, i.kind, i.param});
    const HeadScoresSnapshot* scores = currentScores();
    if (scores && scores->isValid()) {
        m_atlasPanel->setScores(*scores);
        const QString x = m_plots->scatterX();
        m_plots->setScores(*scores, x.isEmpty() ? nullptr : scoresNamed(x));
    }
    atlasView()->setSelectedHead(m_selected);
    atlasView()->setEditMarks(marks);
}

void MainWindow::selectHead(int layer, int head) {
    m_selected = {layer, head};
    atlasView()->setSelectedHead(m_selected);
    m_plots->setSelectedHead(m_selected);
    m_heatmapPanel->setSelectedHead(m_selected);
    m_circuitPanel->graph()->selectHead(layer, head);
}

void MainWindow::setMapView(MapView view) {
    m_heatmapPanel->setMapView(view);
}

void MainWindow::setMapAverage(MapAverage average) {
    m_heatmapPanel->setMapAverage(average);
}

void MainWindow::editInterventions(const InterventionList& items, const QString& text) {
    if (items == m_applied) return;
    m_undo->push(new SetInterventionsCommand(
        m_applied, items, [this](const InterventionList& list) { applyInterventions(list); },
        text));
}

void MainWindow::applyInterventions(const InterventionList& items) {
    m_applied = items;
    if (m_interventions->items() != items) {
        m_settingItems = true;
        m_interventions->setItems(items);
        m_settingItems = false;
    }
    updateScoreViews();
    syncRemovedEdges();
    syncPromptsToController();
    m_controller->setInterventions(items);  // debounced re-run (not for edge edits alone)
}

void MainWindow::toggleAblation(int layer, int head) {
    InterventionList items = m_applied;
    const auto it = std::find_if(items.begin(), items.end(), [&](const InterventionItem& i) {
        return i.kind == kinds::kZeroAblation && i.layer == layer && i.head == head;
    });
    if (it != items.end()) {
        items.erase(it);
    } else {
        items.push_back(
            {kinds::kZeroAblation, layer, head, 0.0, true,
             tr("L%1H%2 %3").arg(layer).arg(head).arg(kindLabel(kinds::kZeroAblation))});
    }
    editInterventions(items, tr("Toggle ablation of L%1H%2").arg(layer).arg(head));
}

void MainWindow::requestIntervention(const QString& kind, int layer, int head) {
    double param = 0.0;
    bool ok = true;
    if (kind == kinds::kScale) {
        param = QInputDialog::getDouble(this, tr("Scale head"),
                                        tr("Factor for L%1H%2's output").arg(layer).arg(head), 0.5,
                                        -100.0, 100.0, 3, &ok);
    } else if (kind == kinds::kSinkWindow) {
        param = QInputDialog::getInt(
            this, tr("Sink + window"),
            tr("Recent keys L%1H%2 may attend to (plus 4 sink tokens)").arg(layer).arg(head), 8, 1,
            1 << 20, 1, &ok);
    } else if (kind == kinds::kActCalibration) {
        param = 0.1;  // ACT's sink threshold
    } else if (kind == kinds::kPatch && m_promptPanel->corruptedPrompt().trimmed().isEmpty()) {
        showError(tr("Type a corrupted prompt first: patching copies L%1H%2's output from it.")
                      .arg(layer)
                      .arg(head));
        return;
    }
    if (!ok) return;
    syncPromptsToController();
    InterventionList items = m_applied;
    items.push_back({kind, layer, head, param, true,
                     tr("L%1H%2 %3").arg(layer).arg(head).arg(kindLabel(kind))});
    editInterventions(items, tr("Add %1 on L%2H%3").arg(kindLabel(kind)).arg(layer).arg(head));
}

}  // namespace attnscope::ui
