#pragma once

#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/intervention_item.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace attnscope::ui {

/// What a saved session restores: the model, the prompts, the edits, the analysis
/// results and the selection. Serialised as JSON into the session file.
struct SessionState {
    QString modelPath;
    QString prompt;
    QString corruptedPrompt;
    InterventionList interventions;
    std::vector<HeadScoresSnapshot> results;  // analysis results by metric
    QString atlasScore;                       // metric colouring the atlas
    int selectedLayer = 0;
    int selectedHead = 0;

    QByteArray toJson() const;
    /// Parses toJson()'s output; returns false (and sets *error) on malformed input.
    static bool fromJson(const QByteArray& json, SessionState* state, QString* error = nullptr);
};

}  // namespace attnscope::ui
