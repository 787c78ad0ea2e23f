#pragma once
// app/core's plain values <-> the Qt-facing snapshots the views read. Pure conversions: no
// model work, callable on any thread.
#include "attnscope/app/session.h"
#include "attnscope/ui/ablation_curve_request.h"
#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/analysis_request.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/model_summary.h"
#include "attnscope/ui/run_request.h"
#include "attnscope/ui/run_snapshot.h"
#include "attnscope/ui/session_state.h"

namespace attnscope::ui::bridge {

app::EditList toEdits(const InterventionList& items);
InterventionList toItems(const app::EditList& edits);
app::RunRequest toRequest(const RunRequest& request);
ModelSummary toSummary(const app::ModelSummary& m);
HeadScoresSnapshot toSnapshot(const app::HeadScores& s);
app::HeadScores toScores(const HeadScoresSnapshot& s);
RunSnapshot toSnapshot(const app::RunResult& r);
PredictionsSnapshot toSnapshot(const std::vector<app::Prediction>& predictions);
AblationCurveSnapshot toSnapshot(const app::AblationCurve& c);
app::AblationCurveRequest toRequest(const AblationCurveRequest& r);
app::ScoreRequest toRequest(const AnalysisRequest& r);
AnalysisRequest toAnalysisRequest(const app::ScoreRequest& r);
app::SessionDocument toDocument(const SessionState& s);
SessionState toState(const app::SessionDocument& d);

}  // namespace attnscope::ui::bridge
