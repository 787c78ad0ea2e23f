#pragma once

#include "attnscope/ui/circuit_ranking.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/intervention_item.h"

#include <QString>

#include <vector>

namespace attnscope::ui {

/// What a saved session restores: the model, the prompts, the edits, the analysis
/// results, the circuits and the selection (app::SessionDocument is its file form).
struct SessionState {
    QString modelPath;
    QString prompt;
    QString corruptedPrompt;
    InterventionList interventions;
    std::vector<HeadScoresSnapshot> results;  // analysis results by metric
    std::vector<CircuitPtr> circuits;         // the circuit explorer's (current one first)
    QString atlasScore;                       // metric colouring the atlas
    int selectedLayer = 0;
    int selectedHead = 0;
};

}  // namespace attnscope::ui
