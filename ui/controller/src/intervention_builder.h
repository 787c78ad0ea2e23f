#pragma once
// InterventionItem (the GUI's edit list) -> capture::Intervention (the runtime's value objects).
#include <vector>

#include "attnscope/capture/interventions.h"
#include "attnscope/ui/intervention_item.h"
#include "engine_state.h"

namespace attnscope::ui::detail {

/// Default window of "restrict to sink + window" when the item's parameter is 0.
inline constexpr int kDefaultWindow = 8;
/// Sink tokens kept by "restrict to sink + window".
inline constexpr int kSinkTokens = 4;
/// ACT calibration threshold and beta when the item's parameter is 0.
inline constexpr float kActThreshold = 0.1f;
inline constexpr float kActBeta = 0.4f;

/// The enabled items as runtime interventions. "patch" items read the corrupted prompt's
/// hook_z from `engine.corrupted` (same token count required). Throws InputError otherwise.
std::vector<capture::Intervention> buildInterventions(const Engine& engine,
                                                      const InterventionList& items);

}  // namespace attnscope::ui::detail
