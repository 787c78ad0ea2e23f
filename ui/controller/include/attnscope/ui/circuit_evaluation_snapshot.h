#pragma once

#include "attnscope/ui/predictions_snapshot.h"

#include <QtGlobal>

#include <cmath>
#include <cstdint>

namespace attnscope::ui {

/// One circuit evaluation (app::CircuitEvaluation) as the circuit panel and the predictions
/// view read it: the metric of the kept edges next to the full model and the empty circuit,
/// faithfulness, and the first pair's predictions under the circuit (baseline: full model).
struct CircuitEvaluationSnapshot {
    quint64 generation = 0;
    int64_t keptEdges = 0;
    int64_t totalEdges = 0;
    double metric = NAN;
    double fullModel = NAN;
    double emptyCircuit = NAN;
    double faithfulness = NAN;
    PredictionsSnapshot predictions;
};

}  // namespace attnscope::ui
