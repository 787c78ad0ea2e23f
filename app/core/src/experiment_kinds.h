#pragma once
// The analysis kinds defined outside experiment_analyses.cpp (app/core internal).
#include <vector>

#include "attnscope/app/experiment_analyses.h"

namespace attnscope::app {

/// eap, eap_ig, acdc and activation_patching (experiment_circuits.cpp).
std::vector<AnalysisKind> circuitAnalysisKinds();

}  // namespace attnscope::app
