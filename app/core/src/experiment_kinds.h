#pragma once
// The analysis kinds defined outside experiment_analyses.cpp (app/core internal).
#include <nlohmann/json.hpp>
#include <vector>

#include "attnscope/app/experiment_analyses.h"

namespace attnscope::app {

/// eap, eap_ig, acdc and activation_patching (experiment_circuits.cpp).
std::vector<AnalysisKind> circuitAnalysisKinds();

/// The parameters an analysis entry gave, as the JSON object recorded with its table.
nlohmann::json givenParams(const AnalysisSpec& spec);

}  // namespace attnscope::app
