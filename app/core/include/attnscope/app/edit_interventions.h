#pragma once
// Edits as the runtime's interventions (LibTorch types: for the CLI and app/core sources).
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "attnscope/app/edit.h"
#include "attnscope/app/opened_model.h"
#include "attnscope/capture/interventions.h"

namespace attnscope::app {

/// The enabled edits as runtime interventions, after checkEdits() against the model's
/// `layers` x `heads`. Patch edits take hook_z of the corrupted prompt from `corruptedZ`
/// ("blocks.L.attn.hook_z" -> [pos, head, d_head]); its prompt must have as many tokens as the
/// edited one. Throws capture::InputError.
std::vector<capture::Intervention> toInterventions(
    const EditList& edits, int layers, int heads, size_t promptLength,
    const std::map<std::string, at::Tensor>* corruptedZ, size_t corruptedLength);

/// toInterventions for one run of `prompt`, running `corrupted` (may be null) first when a
/// patch edit needs its activations.
std::vector<capture::Intervention> interventionsFor(OpenedModel& opened, const EditList& edits,
                                                    const PromptTokens& prompt,
                                                    const PromptTokens* corrupted);

}  // namespace attnscope::app
