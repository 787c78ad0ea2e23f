// Snapshots into views, and edits out of them.
#include <QComboBox>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QUndoStack>

#include "attnscope/ui/ablation_curve_plot.h"
#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"
#include "attnscope/ui/logit_lens_plot.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_view.h"
#include "attnscope/ui/score_histogram_plot.h"
#include "attnscope/ui/score_scatter_plot.h"
#include "attnscope/ui/set_interventions_command.h"
#include "attnscope/ui/sink_mass_plot.h"
#include "attnscope/ui/token_strip_view.h"

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
    m_controller->saveSession(path, sessionState());
}

void MainWindow::setPrompt(const QString& prompt) {
    m_prompt->setPlainText(prompt);
}

void MainWindow::setCorruptedPrompt(const QString& prompt) {
    m_corrupted->setText(prompt);
}

void MainWindow::syncPromptsToController() {
    m_controller->setPrompt(m_prompt->toPlainText());
    m_controller->setCorruptedPrompt(m_corrupted->text());
}

void MainWindow::runPrompt() {
    syncPromptsToController();
    if (m_prompt->toPlainText().trimmed().isEmpty()) {
        // Nothing to run: say so where the map would be, instead of a one-token map.
        m_run.reset();
        m_heatmap->clear(tr("Type a prompt, then Run (Ctrl+R)"));
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
    const QString values[] = {m.path,
                              m.architecture,
                              QString::number(m.layers),
                              QString::number(m.heads),
                              QString::number(m.kvHeads),
                              QLocale().toString(m.parameters),
                              m.dtype,
                              m.fingerprint};
    for (int i = 0; i < 8; ++i)
        m_modelLabels[i]->setText(values[i]);
    m_layerSpin->setRange(0, m.layers - 1);
    m_headSpin->setRange(0, m.heads - 1);
    addRecent(m.path);
    setWindowTitle(tr("AttnScope \u2013 %1").arg(QFileInfo(m.path).fileName()));
    m_undo->clear();
    applyInterventions({});
    m_run.reset();
    m_curvePlot->setCurve({});  // a curve of the previous model
    refreshScoreCombo();
    // A fresh prompt that suits the model: the folder's demo prompt, else a sample.
    if (m_prompt->toPlainText().trimmed().isEmpty()) m_prompt->setPlainText(defaultPrompt(m));
    m_status->setText(tr("Opened %1 (%2)").arg(m.path, m.architecture));
    if (!m.hasTokenizer)
        m_prompt->setToolTip(tr("This model has no tokenizer: type token ids, e.g. 1,2,3"));
    if (!m_restoringSession) runPrompt();  // a session runs its own prompts
}

void MainWindow::onResults(std::shared_ptr<const RunSnapshot> run) {
    m_run = std::move(run);
    m_tokens->setTokens(m_run->tokens);
    m_predictions->setSnapshot(m_run->predictions);
    m_sinkPlot->setSinkMass(m_run->sinkMassPerLayer, m_run->baselineSinkMassPerLayer);
    m_lensPlot->setSnapshot(m_run->logitLens);
    updateScoreViews();
    updateHeatmap();
    const int edits =
        static_cast<int>(std::count_if(m_run->interventions.begin(), m_run->interventions.end(),
                                       [](const InterventionItem& i) { return i.enabled; }));
    m_status->setText(tr("Run %1: %2 tokens, %3 active edit(s)")
                          .arg(m_run->generation)
                          .arg(m_run->length)
                          .arg(edits));
    Q_EMIT viewUpdated();
}

void MainWindow::onProgress(const QString& task, double fraction, const QString& message) {
    m_progress->setValue(static_cast<int>(fraction * 1000));
    if (task == QLatin1String("analysis")) m_analysis->setProgress(fraction, message);
    m_status->setText(message.isEmpty() ? tr("Running %1\u2026").arg(task)
                                        : QStringLiteral("%1: %2").arg(task, message));
}

void MainWindow::onAnalysisFinished(const HeadScoresSnapshot& scores) {
    m_analysis->setRunning(false);
    m_analysis->setProgress(1.0, tr("done"));
    refreshScoreCombo();
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
    request.scoreLabel = m_scoreCombo->currentText();
    m_curveButton->setEnabled(false);
    m_controller->startAblationCurve(request);
}

void MainWindow::onAblationCurveFinished(const AblationCurveSnapshot& curve) {
    m_curveButton->setEnabled(true);
    m_curvePlot->setCurve(curve);
    m_plotTabs->setCurrentWidget(m_curveTab);
    m_status->setText(tr("Ablation curve by %1 finished").arg(curve.score));
}

void MainWindow::onSessionLoaded(const SessionState& state) {
    m_settingItems = true;
    m_prompt->setPlainText(state.prompt);
    m_corrupted->setText(state.corruptedPrompt);
    m_settingItems = false;
    m_undo->clear();
    m_applied = state.interventions;
    m_settingItems = true;
    m_interventions->setItems(state.interventions);
    m_settingItems = false;
    applyInterventions(state.interventions);
    refreshScoreCombo();
    if (!state.atlasScore.isEmpty()) setAtlasScore(state.atlasScore);
    selectHead(state.selectedLayer, state.selectedHead);
    m_restoringSession = false;
    m_status->setText(tr("Session restored"));
    Q_EMIT sessionRestored();
}

void MainWindow::refreshScoreCombo() {
    const QString current = atlasScore();
    const QString currentX = m_scatterXCombo->currentData().toString();
    const QSignalBlocker block(m_scoreCombo), blockX(m_scatterXCombo);
    m_scoreCombo->clear();
    m_scatterXCombo->clear();
    m_scatterXCombo->addItem(tr("layer"), QString());
    m_scoreCombo->addItem(tr("Sink score (live run)"), kLiveScore);
    m_scatterXCombo->addItem(tr("Sink score (live run)"), kLiveScore);
    for (const HeadScoresSnapshot& r : m_controller->results()) {
        const QString label = r.description.isEmpty() ? r.metric : r.description;
        m_scoreCombo->addItem(label, r.metric);
        m_scatterXCombo->addItem(label, r.metric);
    }
    const int i = m_scoreCombo->findData(current);
    m_scoreCombo->setCurrentIndex(i >= 0 ? i : 0);
    const int x = currentX.isEmpty() ? -1 : m_scatterXCombo->findData(currentX);
    m_scatterXCombo->setCurrentIndex(x >= 0 ? x : 0);
    updateScoreViews();
}

bool MainWindow::setAtlasScore(const QString& metric) {
    const int i = m_scoreCombo->findData(metric);
    if (i < 0) return false;
    m_scoreCombo->setCurrentIndex(i);
    updateScoreViews();
    return true;
}

QString MainWindow::atlasScore() const {
    return m_scoreCombo->currentData().toString();
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
    const HeadScoresSnapshot* scores = currentScores();
    if (!scores || !scores->isValid()) return;
    m_atlas->setScores(*scores);
    m_scoresModel->setSnapshot(*scores);
    m_histogram->setScores(*scores);
    const QString xMetric = m_scatterXCombo->currentData().toString();
    const HeadScoresSnapshot* x = xMetric.isEmpty() ? nullptr : scoresNamed(xMetric);
    if (x && x->isValid() && x->layers == scores->layers && x->heads == scores->heads)
        m_scatter->setScores(*x, *scores);
    else
        m_scatter->setScores(*scores);
    m_atlas->setSelectedHead(m_selected);
    std::vector<HeadEditMark> marks;
    for (const InterventionItem& i : m_applied)
        if (i.enabled) marks.push_back({{i.layer, i.head}, i.kind, i.param});
    m_atlas->setEditMarks(marks);
}

void MainWindow::selectHead(int layer, int head) {
    m_selected = {layer, head};
    {
        const QSignalBlocker a(m_layerSpin), b(m_headSpin);
        m_layerSpin->setValue(layer);
        m_headSpin->setValue(head);
    }
    m_atlas->setSelectedHead(m_selected);
    m_scatter->setSelectedHead(m_selected);
    updateHeatmap();
}

void MainWindow::setMapView(MapView view) {
    m_viewCombo->setCurrentIndex(m_viewCombo->findData(static_cast<int>(view)));
}

void MainWindow::setMapAverage(MapAverage average) {
    m_averageCombo->setCurrentIndex(m_averageCombo->findData(static_cast<int>(average)));
}

void MainWindow::updateHeatmap() {
    if (!m_run) return;
    const auto average = static_cast<MapAverage>(m_averageCombo->currentData().toInt());
    const auto view = static_cast<MapView>(m_viewCombo->currentData().toInt());
    using Source = RunSnapshot::Source;
    const int l = m_selected.layer, h = m_selected.head;
    switch (view) {
        case MapView::Edited:
            m_heatmap->setSnapshot(m_run->map(l, h, average));
            break;
        case MapView::Baseline:
            m_heatmap->setSnapshot(m_run->map(l, h, average, Source::Baseline));
            break;
        case MapView::Difference:
            m_heatmap->setDifference(m_run->map(l, h, average),
                                     m_run->map(l, h, average, Source::Baseline));
            break;
        case MapView::Corrupted:
            m_heatmap->setSnapshot(m_run->map(l, h, average, Source::Corrupted));
            break;
        case MapView::CorruptedDifference: {
            // The clean prompt's unedited map against the corrupted one; positions whose
            // tokens differ are labelled "clean≠corrupted".
            AttentionMapSnapshot clean = m_run->map(l, h, average, Source::Baseline);
            const AttentionMapSnapshot corrupted = m_run->map(l, h, average, Source::Corrupted);
            if (clean.rowTokens.size() == corrupted.rowTokens.size()) {
                for (int i = 0; i < clean.rowTokens.size(); ++i)
                    if (clean.rowTokens[i] != corrupted.rowTokens[i])
                        clean.rowTokens[i] += QStringLiteral("\u2260") + corrupted.rowTokens[i];
                clean.colTokens = clean.rowTokens;
            }
            clean.title.remove(tr(" \u00b7 baseline"));
            m_heatmap->setDifference(clean, corrupted,
                                     HeatmapView::DifferenceKind::PromptMinusCorrupted);
            break;
        }
    }
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
    syncPromptsToController();
    m_controller->setInterventions(items);  // debounced re-run
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
    } else if (kind == kinds::kPatch && m_corrupted->text().trimmed().isEmpty()) {
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
