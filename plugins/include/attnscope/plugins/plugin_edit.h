#pragma once
// Plugin attention edits as the runtime's own intervention type (capture::PatternEdit): applied
// with capture::applyInterventions like any other edit, live during every forward.
#include <map>
#include <string>
#include <vector>

#include "attnscope/capture/interventions.h"

namespace attnscope::plugins {

/// The edit `name` ("plugin:NAME", as PluginHost::edits() lists it) on `heads` of `layer`, with
/// string parameters checked against its declaration now. The callback runs the plugin
/// function on the plugin worker for each head's [query, key] map (a read-only view) and
/// copies its result back. Throws capture::InputError for an unknown edit or a bad parameter;
/// the forward throws PluginError when the plugin fails or returns a map of the wrong shape.
capture::PatternEdit pluginPatternEdit(const std::string& name, int64_t layer,
                                       std::vector<int64_t> heads,
                                       const std::map<std::string, std::string>& params);

}  // namespace attnscope::plugins
