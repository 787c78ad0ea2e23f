#pragma once

#include "attnscope/app/circuit_session.h"
#include "attnscope/ui/ablation_curve_request.h"
#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/analysis_request.h"
#include "attnscope/ui/circuit_evaluation_snapshot.h"
#include "attnscope/ui/circuit_ranking.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/model_summary.h"
#include "attnscope/ui/run_request.h"
#include "attnscope/ui/run_snapshot.h"
#include "attnscope/ui/session_state.h"

#include <QObject>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>

namespace attnscope::app {
class Session;  // the opened model and its caches; used on the worker thread only
struct BatchResultsFile;
}  // namespace attnscope::app
namespace attnscope::ui {

/// Runs every model job off the GUI thread: opening a model, live runs, analyses and
/// session files. Jobs run on the controller's own one-thread pool, so they never overlap
/// and the model is only ever touched by that thread. Every start bumps a generation
/// number; a result whose generation is no longer current is dropped, and starting a job
/// cancels the previous one of its kind. Results arrive as immutable snapshots through
/// signals on the GUI thread. Lives on (and is used from) the GUI thread.
class AppController : public QObject {
    Q_OBJECT
public:
    /// The live-edit debounce: edits within this many ms are folded into one run.
    static constexpr int kDebounceMs = 100;

    explicit AppController(QObject* parent = nullptr);
    ~AppController() override;

    /// Opens a Hugging Face model folder; emits modelOpened or modelLoadFailed.
    void openModel(const QString& dir);
    /// Drops the pending model load (its result is discarded when it finishes).
    void cancelLoad();
    bool hasModel() const { return m_session != nullptr; }
    const ModelSummary& model() const { return m_summary; }

    void setPrompt(const QString& prompt);
    QString prompt() const { return m_request.prompt; }
    void setCorruptedPrompt(const QString& prompt);
    QString corruptedPrompt() const { return m_request.corruptedPrompt; }
    /// The live edit list; a change schedules a run after kDebounceMs.
    void setInterventions(const InterventionList& items);
    const InterventionList& interventions() const { return m_request.interventions; }
    void setTopK(int k) { m_request.topK = k; }
    /// Special-token strings in the prompts as plain text (Hugging Face's split_special_tokens).
    void setSplitSpecialTokens(bool split) { m_request.splitSpecialTokens = split; }
    bool splitSpecialTokens() const { return m_request.splitSpecialTokens; }

    /// Starts a run of the current prompt and edits now (cancelling any pending one).
    void runNow();
    /// Schedules runNow() after the debounce interval (restarting the interval).
    void scheduleRun();
    /// The newest accepted run, or null.
    std::shared_ptr<const RunSnapshot> lastRun() const { return m_lastRun; }

    void startAnalysis(const AnalysisRequest& request);
    void cancelAnalysis();
    bool analysisRunning() const { return m_analysisRunning; }
    /// Finished analysis results by metric name (newest per metric).
    const std::vector<HeadScoresSnapshot>& results() const { return m_results; }
    /// The analysis that computed `scores` (metric, recorded parameters, dataset file), to
    /// refill the analysis form from a restored session.
    static AnalysisRequest requestOf(const HeadScoresSnapshot& scores);
    void setResults(std::vector<HeadScoresSnapshot> results) { m_results = std::move(results); }

    /// Starts the ablation curve of `request` on the current prompt (cancelling a previous
    /// one); ends in ablationCurveFinished, ablationCurveCancelled or ablationCurveFailed.
    void startAblationCurve(const AblationCurveRequest& request);
    void cancelAblationCurve();
    bool ablationCurveRunning() const { return m_curveRunning; }

    /// Writes model path, prompts, edits, the last run's captures and `state`'s results
    /// and view settings into one HDF5 capture file (runs 0 = edited, 1 = baseline).
    void saveSession(const QString& path, SessionState state);
    /// The Analysis tab's setup (the open model, `request`'s dataset or the current prompt, the
    /// current edits, `request`'s metric) as batch experiment text for `attnscope-cli batch`;
    /// empty without a model (experiment_setup.cpp).
    QString experimentText(const AnalysisRequest& request) const;
    /// Reads a session file, opens its model, restores prompts, edits and results, runs,
    /// and emits sessionLoaded once the run is there.
    void loadSession(const QString& path);

    // Circuits (app_controller_circuits.cpp), through app::CircuitSession on the worker.
    /// Discovers a circuit (cancelling a previous discovery); ends in circuitFinished,
    /// circuitCancelled or circuitFailed, with progress as task "circuit".
    void startCircuit(const app::CircuitRequest& request);
    void cancelCircuit();
    bool circuitRunning() const { return m_circuitRunning; }
    /// Evaluates the circuit that keeps `kept` (one byte per edge, or per (edge, position) for
    /// a per-position selection: app::CircuitSession::evaluate) on `request`'s pairs,
    /// metric and ablation: the pairs' clean and corrupted runs are cached once, so each call
    /// costs one patched forward. A newer call cancels and supersedes an older one (only the
    /// newest result arrives, as circuitEvaluated).
    void evaluateCircuit(const app::CircuitRequest& request, std::vector<uint8_t> kept);
    quint64 circuitEvaluationGeneration() const { return m_evalGeneration; }
    /// The faithfulness of `kept` without `edge` (what removing it would do), for the graph's
    /// hover; a newer request supersedes an older one, without touching evaluateCircuit()'s.
    void measureEdgeRemoval(const app::CircuitRequest& request, std::vector<uint8_t> kept,
                            qint64 edge);
    /// The faithfulness of `kept` without the node `node`, i.e. without `edges` (every edge it
    /// sends or receives), for the graph's hover; superseded like measureEdgeRemoval().
    void measureNodeRemoval(const app::CircuitRequest& request, std::vector<uint8_t> kept, int node,
                            const std::vector<int64_t>& edges);
    /// The faithfulness curve, CPR and CMD of `circuit` (from its scores) on `request`'s
    /// pairs; ends in circuitScored with a copy of the circuit that carries them.
    void scoreCircuit(const app::CircuitRequest& request, CircuitPtr circuit);
    /// Reads a circuit file (EAP-IG JSON or HDF5) and checks it fits the open model; ends in
    /// circuitFileOpened(circuit, slot, path) or circuitFailed. `slot` is the caller's tag.
    void openCircuitFile(const QString& path, int slot);
    /// The circuits a saved session holds (the first is the current one).
    void setCircuits(std::vector<CircuitPtr> circuits) { m_circuits = std::move(circuits); }
    const std::vector<CircuitPtr>& circuits() const { return m_circuits; }

    /// Reads a batch results file (File ▸ Open results) on the worker, with progress as task
    /// "results" (a newer call cancels an older one); ends in batchResultsOpened or
    /// batchResultsFailed (app_controller_results.cpp).
    void openBatchResults(const QString& path);

    /// Generation of the newest live run started (for tests and the status bar).
    quint64 runGeneration() const { return m_runGeneration; }
    bool busy() const { return m_jobs > 0; }

Q_SIGNALS:
    void modelOpened(const attnscope::ui::ModelSummary& summary);
    void modelLoadFailed(const QString& message);
    void resultsAvailable(std::shared_ptr<const attnscope::ui::RunSnapshot> run);
    void runFailed(const QString& message);
    /// Progress of the job `task` ("load", "run", "analysis", "ablation curve", "session",
    /// "results", ...) in [0, 1].
    void progressChanged(const QString& task, double fraction, const QString& message);
    void analysisFinished(const attnscope::ui::HeadScoresSnapshot& scores);
    void analysisCancelled();
    void analysisFailed(const QString& message);
    void ablationCurveFinished(const attnscope::ui::AblationCurveSnapshot& curve);
    void ablationCurveCancelled();
    void ablationCurveFailed(const QString& message);
    void sessionSaved(const QString& path);
    void sessionLoaded(const attnscope::ui::SessionState& state);
    void sessionFailed(const QString& message);
    void circuitFinished(attnscope::ui::CircuitPtr circuit);
    /// ACDC's pruning so far (its kept edges and the scores measured, NaN where untried), while
    /// a discovery runs: coalesced, so a slow GUI thread sees the latest state, not a backlog.
    void circuitPruned(attnscope::ui::CircuitPtr partial);
    void circuitCancelled();
    void circuitFailed(const QString& message);
    void circuitEvaluated(const attnscope::ui::CircuitEvaluationSnapshot& evaluation);
    void circuitEvaluationFailed(const QString& message);
    void circuitScored(attnscope::ui::CircuitPtr circuit);
    void edgeRemovalMeasured(qint64 edge, double faithfulness);
    void nodeRemovalMeasured(int node, double faithfulness);
    void circuitFileOpened(attnscope::ui::CircuitPtr circuit, int slot, const QString& path);
    void batchResultsOpened(std::shared_ptr<const attnscope::app::BatchResultsFile> results,
                            const QString& path);
    void batchResultsFailed(const QString& path, const QString& message);
    /// A job started or finished; busy() tells whether any is still going.
    void busyChanged(bool busy);

private:
    /// One hover measurement: the faithfulness of `kept` (the removal applied), handed to
    /// `deliver` unless a newer measurement superseded it.
    void measureWithout(const app::CircuitRequest& request, std::vector<uint8_t> kept,
                        std::function<void(double)> deliver);
    template <class Result, class Work, class Done>
    void startJob(const QString& task, std::shared_ptr<std::atomic<bool>> cancel, Work work,
                  Done done);
    void jobStarted();
    void jobEnded();
    void applyPendingSession();

    QThreadPool m_pool;  // one thread: jobs never overlap
    QTimer m_debounce;
    std::shared_ptr<app::Session> m_session;  // used by jobs on m_pool only
    // On m_session, used by jobs on m_pool only; destroyed before it.
    std::shared_ptr<app::CircuitSession> m_circuitSession;
    ModelSummary m_summary;
    RunRequest m_request;
    std::shared_ptr<const RunSnapshot> m_lastRun;
    std::vector<HeadScoresSnapshot> m_results;
    quint64 m_loadGeneration = 0;
    quint64 m_runGeneration = 0;
    quint64 m_analysisGeneration = 0;
    quint64 m_curveGeneration = 0;
    std::shared_ptr<std::atomic<bool>> m_loadCancel;
    std::shared_ptr<std::atomic<bool>> m_runCancel;
    std::shared_ptr<std::atomic<bool>> m_analysisCancel;
    std::shared_ptr<std::atomic<bool>> m_curveCancel;
    quint64 m_circuitGeneration = 0;
    quint64 m_evalGeneration = 0;
    std::shared_ptr<std::atomic<bool>> m_circuitCancel;
    std::shared_ptr<std::atomic<bool>> m_evalCancel;
    quint64 m_effectGeneration = 0;
    std::shared_ptr<std::atomic<bool>> m_effectCancel;
    std::shared_ptr<std::atomic<bool>> m_batchResultsCancel;
    bool m_circuitRunning = false;
    std::vector<CircuitPtr> m_circuits;
    bool m_analysisRunning = false;
    bool m_curveRunning = false;
    int m_jobs = 0;
    std::unique_ptr<SessionState> m_pendingSession;  // restored once its model is open
    quint64 m_sessionRun = 0;  // the run whose arrival completes loadSession()
};

/// The prompt shown first for a model: the first line of its folder's demo_prompt.txt, else
/// a sample text (or token ids when the model has no tokenizer).
QString defaultPrompt(const ModelSummary& model);

/// The text `attnscope --headless` prints: model info, the prompt's tokens, the next-token
/// predictions and the head atlas (live sink score per head) as a table; an empty prompt
/// means defaultPrompt(). Runs on the
/// calling thread. Throws std::exception with a message on failure.
QString headlessReport(const QString& modelDir, const QString& prompt, int topK = 5);

}  // namespace attnscope::ui

Q_DECLARE_METATYPE(std::shared_ptr<const attnscope::ui::RunSnapshot>)
Q_DECLARE_METATYPE(attnscope::ui::ModelSummary)
Q_DECLARE_METATYPE(attnscope::ui::HeadScoresSnapshot)
Q_DECLARE_METATYPE(attnscope::ui::AblationCurveSnapshot)
Q_DECLARE_METATYPE(attnscope::ui::SessionState)
Q_DECLARE_METATYPE(attnscope::ui::CircuitPtr)
Q_DECLARE_METATYPE(attnscope::ui::CircuitEvaluationSnapshot)
