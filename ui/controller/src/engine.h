#pragma once
// The controller's worker-side API: plain types in and out, LibTorch only in the .cpp files.
// Every function here runs on the controller's worker thread (or, for the headless report,
// on the caller's thread) and never touches a Qt object other than plain values.

#include "attnscope/ui/ablation_curve_request.h"
#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/analysis_request.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/model_summary.h"
#include "attnscope/ui/run_request.h"
#include "attnscope/ui/run_snapshot.h"
#include "attnscope/ui/session_state.h"

#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace attnscope::ui::detail {

struct Engine;

/// Reports progress in [0, 1] with a message; may be empty.
using Progress = std::function<void(double fraction, const QString& message)>;

/// Thrown when a job notices its cancel flag.
struct Cancelled {};

/// Opens a model folder. Throws std::exception with a readable message.
/// Loads the model folder; the load stops (throwing Cancelled) soon after `cancel` is set.
std::shared_ptr<Engine> openEngine(const QString& dir, const Progress& progress,
                                   const std::atomic<bool>& cancel);
ModelSummary summaryOf(const Engine& engine);

/// Runs the request's prompt edited and unedited. Throws Cancelled or std::exception.
RunSnapshot runEngine(Engine& engine, const RunRequest& request, const std::atomic<bool>& cancel);

struct AnalysisOutcome {
    HeadScoresSnapshot scores;
    bool cancelled = false;
};
/// Runs a registry metric. Throws std::exception with a readable message.
AnalysisOutcome runAnalysis(Engine& engine, const AnalysisRequest& request,
                            const Progress& progress, const std::atomic<bool>& cancel);

/// The ablation curve of `request` on `prompt`, reusing the cached baseline when the prompt is
/// the live run's. Throws Cancelled or std::exception with a readable message.
AblationCurveSnapshot runAblationCurve(Engine& engine, const QString& prompt,
                                       const AblationCurveRequest& request,
                                       const Progress& progress, const std::atomic<bool>& cancel);

/// Writes a session file (see AppController::saveSession).
void writeSessionFile(const Engine& engine, const QString& path, const SessionState& state,
                      const RunSnapshot* run);
/// Reads the session JSON and the results of a session file.
SessionState readSessionFile(const QString& path);

}  // namespace attnscope::ui::detail
