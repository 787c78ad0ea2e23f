// Plugin attention edits: a hook replaces one head's pattern by the plugin's function of it.
#include "attnscope/plugins/plugin_edit.h"

#include <mutex>

#include "attnscope/capture/load_error.h"
#include "attnscope/plugins/plugin_host.h"
#include "plugin_metric.h"
#include "python_worker.h"
#include "tensor_views.h"

namespace py = pybind11;

namespace attnscope::plugins {
namespace {

std::mutex g_editsMutex;
std::vector<PluginFunction> g_edits;  // guarded by g_editsMutex

PluginFunction findEdit(const std::string& name) {
    std::lock_guard<std::mutex> lock(g_editsMutex);
    std::string known;
    for (const auto& e : g_edits) {
        if (kPluginPrefix + e.name == name) return e;
        known += (known.empty() ? "" : ", ") + std::string(kPluginPrefix) + e.name;
    }
    throw capture::InputError("unknown plugin edit '" + name +
                              "' (loaded: " + (known.empty() ? "none" : known) + ")");
}

}  // namespace

void setPluginEdits(std::vector<PluginFunction> edits) {
    std::lock_guard<std::mutex> lock(g_editsMutex);
    g_edits = std::move(edits);
}

void attachPluginEdit(capture::HookScope& scope, const capture::HookRegistry& hooks,
                      const std::string& name, int layer, int head,
                      const std::map<std::string, std::string>& params) {
    const PluginFunction edit = findEdit(name);
    const auto checked = std::make_shared<analysis::MetricParams>(edit.params, params);
    const std::string hook = "blocks." + std::to_string(layer) + ".attn.hook_pattern";
    if (!hooks.contains(hook))
        throw capture::InputError(name + ": the model has no layer " + std::to_string(layer));
    scope.add(hook, [edit, checked, head](at::Tensor& pattern, const capture::HookContext&) {
        // pattern: [batch, head, query, key]
        if (head < 0 || head >= pattern.size(1))
            throw capture::InputError(kPluginPrefix + edit.name + ": the model has no head " +
                                      std::to_string(head));
        at::Tensor edited = pattern.clone();
        for (int64_t b = 0; b < pattern.size(0); ++b) {
            const at::Tensor map = pattern[b][head];  // [query, key]
            PythonWorker::instance().call([&] {
                try {
                    const py::array out = hostModule().attr("run_edit")(
                        edit.script.plugin, edit.script.file, edit.function, edit.line,
                        readOnlyArray(map), pythonParams(*checked, edit.params));
                    // Copied while the array lives, on the worker, under the GIL.
                    const at::Tensor result =
                        at::from_blob(const_cast<void*>(out.data()), map.sizes(), at::kFloat);
                    edited[b][head].copy_(result);
                } catch (py::error_already_set& e) {
                    throwPluginFailure(e, edit.script);
                }
            });
        }
        pattern = edited;
    });
}

}  // namespace attnscope::plugins
