#pragma once

#include "attnscope/ui/intervention_item.h"

#include <QString>

namespace attnscope::ui {

/// What one live run computes: the prompt (text, or "1,2,3" ids for a model without a
/// tokenizer) under `interventions`, next to the unedited baseline. `corruptedPrompt`
/// (may be empty) is the source of "patch" interventions and of the comparison maps.
struct RunRequest {
    QString prompt;
    QString corruptedPrompt;
    InterventionList interventions;
    int topK = 10;
    bool splitSpecialTokens = false;  ///< special-token strings in the prompts as plain text
};

}  // namespace attnscope::ui
