#pragma once
// Plugin attention edits as runtime interventions: a hook on a layer's hook_pattern that
// replaces one head's map by the plugin function's output.
#include <map>
#include <string>

#include "attnscope/capture/hook_registry.h"

namespace attnscope::plugins {

/// Adds the edit `name` ("plugin:NAME", as PluginHost::edits() lists it) for head `head` of
/// layer `layer` to `scope`, with string parameters checked against its declaration. The edit
/// runs on the plugin worker during every forward while the scope lives. Throws
/// capture::InputError for an unknown edit, layer or parameter; PluginError from the forward
/// when the plugin fails or returns a map of the wrong shape.
void attachPluginEdit(capture::HookScope& scope, const capture::HookRegistry& hooks,
                      const std::string& name, int layer, int head,
                      const std::map<std::string, std::string>& params);

}  // namespace attnscope::plugins
