// Plugin attention edits: a hook replaces one head's pattern by the plugin's function of it.
#include "attnscope/plugins/plugin_edit.h"

#include <mutex>

#include "attnscope/analysis/attention_edits.h"
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

class PluginEditProvider : public analysis::AttentionEditProvider {
    // The search path, unless a front end or test has loaded folders of its own.
    static void loadIfNeeded() {
        if (PluginHost::instance().folders().empty()) loadPlugins();
    }

public:
    std::vector<analysis::AttentionEditInfo> edits() const override {
        loadIfNeeded();
        std::vector<analysis::AttentionEditInfo> out;
        for (const PluginEditInfo& e : PluginHost::instance().edits())
            out.push_back({e.name, e.label, e.description, e.params});
        return out;
    }
    capture::PatternEdit make(const std::string& name, int64_t layer, std::vector<int64_t> heads,
                              const std::map<std::string, std::string>& params) const override {
        loadIfNeeded();
        return pluginPatternEdit(name, layer, std::move(heads), params);
    }
};

}  // namespace

void installPluginEdits() {
    analysis::setAttentionEditProvider(std::make_shared<PluginEditProvider>());
}

void setPluginEdits(std::vector<PluginFunction> edits) {
    std::lock_guard<std::mutex> lock(g_editsMutex);
    g_edits = std::move(edits);
}

capture::PatternEdit pluginPatternEdit(const std::string& name, int64_t layer,
                                       std::vector<int64_t> heads,
                                       const std::map<std::string, std::string>& params) {
    const PluginFunction edit = findEdit(name);
    const auto checked = std::make_shared<analysis::MetricParams>(edit.params, params);
    capture::PatternEdit out;
    out.layer = layer;
    out.heads = std::move(heads);
    out.description = name;
    out.edit = [edit, checked](const at::Tensor& map, int64_t, int64_t) {
        at::Tensor result;  // [query, key]
        PythonWorker::instance().call([&] {
            try {
                const py::array a = hostModule().attr("run_edit")(
                    edit.script.plugin, edit.script.file, edit.function, edit.line,
                    readOnlyArray(map), pythonParams(*checked, edit.params));
                // Copied while the array lives, on the worker, under the GIL.
                result = at::from_blob(const_cast<void*>(a.data()), map.sizes(), at::kFloat)
                             .to(map.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
            } catch (py::error_already_set& e) {
                throwPluginFailure(e, edit.script);
            }
        });
        return result;
    };
    return out;
}

}  // namespace attnscope::plugins
