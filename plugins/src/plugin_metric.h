#pragma once
// Plugin metrics and edits as the host builds them from a script's metadata (internal).
#include <pybind11/pybind11.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"

namespace attnscope::plugins {

/// Which script a call belongs to, for messages.
struct ScriptRef {
    std::string plugin;
    std::string file;
};

/// One entry of the metadata's "metrics" or "edits" list (host_support.read_metadata).
struct PluginFunction {
    ScriptRef script;
    std::string name;      ///< without the "plugin:" prefix
    std::string function;  ///< the Python function's name
    int line = 0;          ///< the entry's line in the script
    std::vector<analysis::ParamSpec> params;
};

/// The ParamSpecs of a metadata "parameters" list (enum: Text with choices).
std::vector<analysis::ParamSpec> paramSpecsFromJson(const nlohmann::json& params);
/// Checked parameter values as a Python dict of int/float/bool/str. GIL held.
pybind11::dict pythonParams(const analysis::MetricParams& params,
                            const std::vector<analysis::ParamSpec>& specs);
/// Turns the Python exception being handled into capture::Cancelled (attnscope.Cancelled) or a
/// PluginError described by the host (plugin, file, user's line, traceback). GIL held.
[[noreturn]] void throwPluginFailure(pybind11::error_already_set& error, const ScriptRef& script);
/// "plugin NAME (FILE:LINE): message", for errors the host finds outside Python.
std::string describeAt(const ScriptRef& script, int line, const std::string& message);

/// The metric of one "metrics" entry: registered as "plugin:NAME".
std::shared_ptr<const analysis::Metric> makePluginMetric(const PluginFunction& function,
                                                         const nlohmann::json& entry);

}  // namespace attnscope::plugins

namespace attnscope::plugins {

/// The edits of the last load (plugin_edit.cpp keeps them for pluginPatternEdit).
void setPluginEdits(std::vector<PluginFunction> edits);

}  // namespace attnscope::plugins
