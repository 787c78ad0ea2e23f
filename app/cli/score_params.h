#pragma once
// --param NAME=VALUE options of the metric commands.
#include <map>
#include <string>
#include <vector>

namespace attnscope::app {

/// Parses NAME=VALUE items; throws UsageError naming a malformed one.
std::map<std::string, std::string> parseScoreParams(const std::vector<std::string>& items);

}  // namespace attnscope::app
