// A plugin metric: for every dataset item, one forward with the declared hooks captured, then
// the plugin's function on the worker thread with read-only views of the captures; the
// per-item tables are averaged over the items that scored each head (NaN: not scored).
#include "plugin_metric.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "attnscope/analysis/item_ids.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/plugins/plugin_host.h"
#include "python_worker.h"
#include "tensor_views.h"

namespace py = pybind11;

namespace attnscope::plugins {

std::vector<analysis::ParamSpec> paramSpecsFromJson(const nlohmann::json& params) {
    std::vector<analysis::ParamSpec> out;
    for (const auto& p : params) {
        analysis::ParamSpec s;
        s.name = p.at("name").get<std::string>();
        s.help = p.value("help", "");
        const std::string type = p.at("type").get<std::string>();
        const nlohmann::json& d = p.at("default");
        if (type == "int") {
            s.type = analysis::ParamType::Integer;
            s.defaultValue = std::to_string(d.get<int64_t>());
        } else if (type == "float") {
            s.type = analysis::ParamType::Real;
            s.defaultValue = d.dump();  // shortest round-trip form
        } else if (type == "bool") {
            s.type = analysis::ParamType::Boolean;
            s.defaultValue = d.get<bool>() ? "true" : "false";
        } else {
            s.type = analysis::ParamType::Text;
            s.defaultValue = d.get<std::string>();
            if (type == "enum") s.choices = p.at("choices").get<std::vector<std::string>>();
        }
        if (p.contains("min")) s.minimum = p.at("min").get<double>();
        if (p.contains("max")) s.maximum = p.at("max").get<double>();
        out.push_back(std::move(s));
    }
    return out;
}

py::dict pythonParams(const analysis::MetricParams& params,
                      const std::vector<analysis::ParamSpec>& specs) {
    py::dict out;
    for (const auto& s : specs) {
        const char* name = s.name.c_str();
        switch (s.type) {
            case analysis::ParamType::Integer:
                out[name] = params.integer(s.name);
                break;
            case analysis::ParamType::Real:
                out[name] = params.real(s.name);
                break;
            case analysis::ParamType::Boolean:
                out[name] = params.boolean(s.name);
                break;
            case analysis::ParamType::Text:
                out[name] = params.text(s.name);
                break;
        }
    }
    return out;
}

void throwPluginFailure(py::error_already_set& error, const ScriptRef& script) {
    if (error.matches(py::module_::import("attnscope").attr("Cancelled")))
        throw capture::Cancelled{};
    const std::string message =
        hostModule()
            .attr("describe_error")(error.value(), script.plugin, script.file, error.trace())
            .cast<std::string>();
    throw PluginError(message);
}

std::string describeAt(const ScriptRef& script, int line, const std::string& message) {
    return "plugin " + script.plugin + " (" + script.file + ":" + std::to_string(line) +
           "): " + message;
}

namespace {

struct DeclaredHook {
    std::string name;
    int line = 0;
};

// The Python side's progress/log/cancel callbacks call into this; after the call it is
// switched off, so a Context a plugin kept does nothing afterwards.
struct CallState {
    capture::Progress progress;
    double fraction = 0.0;  // the plugin's last progress(), for log lines
    bool active = true;
};

class PluginMetric : public analysis::Metric {
public:
    PluginMetric(PluginFunction function, const nlohmann::json& entry)
        : m_function(std::move(function)) {
        m_info.name = std::string(kPluginPrefix) + m_function.name;
        m_info.title = entry.value("label", m_function.name);
        m_info.description = entry.value("description", "");
        m_info.citation =
            "plugin " + m_function.script.plugin + " (" + m_function.script.file + ")";
        for (const auto& h : entry.at("hooks")) {
            m_hooks.push_back({h.at("name").get<std::string>(), h.at("line").get<int>()});
            m_info.hooks.push_back(m_hooks.back().name);
        }
        m_info.params = m_function.params;
    }

    const analysis::MetricInfo& info() const override { return m_info; }

    analysis::MetricResult compute(const analysis::MetricContext& ctx,
                                   const analysis::MetricParams& params) const override {
        if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
        const auto& c = ctx.model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        capture::CaptureSpec spec = captureSpec(ctx.model);
        const bool wantLogits = std::any_of(m_hooks.begin(), m_hooks.end(),
                                            [](const auto& h) { return h.name == "logits"; });
        std::vector<double> sum(static_cast<std::size_t>(layers * heads), 0.0);
        std::vector<int> count(sum.size(), 0);
        analysis::MetricResult result;
        nlohmann::json perItem = nlohmann::json::array(), details = nlohmann::json::array();
        const std::size_t n = ctx.data.items.size();
        double pluginSeconds = 0;  // handing the captures over, the call, the checks
        at::NoGradGuard noGrad;
        for (std::size_t i = 0; i < n; ++i) {
            ctx.progress.check();
            const auto ids = analysis::itemIds(ctx, ctx.data.items[i], 0);
            if (ids.empty()) continue;
            capture::ActivationCache cache;
            at::Tensor logits;
            {
                capture::HookScope scope(ctx.model.hooks());
                capture::attachCapture(scope, ctx.model.hooks(), spec, cache);
                capture::ForwardOptions options;
                options.allLogits = wantLogits;
                logits = ctx.model.forward(
                    at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0), options);
            }
            std::vector<std::pair<std::string, at::Tensor>> activations;
            for (const auto& name : cache.names())
                activations.emplace_back(name, cache.get(name)[0]);  // the batch of one
            if (wantLogits) activations.emplace_back("logits", logits[0]);
            std::vector<std::string> strings;
            for (int64_t id : ids)
                strings.push_back(ctx.tokenizer ? ctx.tokenizer->decode({id}) : std::to_string(id));
            const auto state = std::make_shared<CallState>();
            state->progress = ctx.progress.part(double(i) / double(n), double(i + 1) / double(n));
            std::vector<double> scores;
            nlohmann::json itemDetails;
            const auto callStart = std::chrono::steady_clock::now();
            // Throws capture::Cancelled when the plugin was stopped.
            PythonWorker::instance().call(
                [&] {
                    callPlugin(ctx, params, activations, ids, strings, state, i, n, scores,
                               itemDetails);
                },
                ctx.cancelToken());
            pluginSeconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - callStart).count();
            for (std::size_t k = 0; k < scores.size(); ++k)
                if (!std::isnan(scores[k])) {
                    sum[k] += scores[k];
                    ++count[k];
                }
            perItem.push_back(scores);
            details.push_back(std::move(itemDetails));
            ctx.report(double(i + 1) / double(n),
                       "prompt " + std::to_string(i + 1) + " of " + std::to_string(n));
        }
        result.scores = analysis::HeadTable(layers, heads);
        for (std::size_t k = 0; k < sum.size(); ++k)
            result.scores.values[k] =
                count[k] ? sum[k] / count[k] : std::numeric_limits<double>::quiet_NaN();
        result.details["per_item"] = perItem;
        result.details["plugin_details"] = details;
        result.details["plugin_seconds"] = pluginSeconds;
        return result;
    }

private:
    // The declared hooks the model has; a hook it lacks is the plugin's error, at its line.
    capture::CaptureSpec captureSpec(capture::TransformerModel& model) const {
        capture::CaptureSpec spec;
        for (const auto& h : m_hooks) {
            if (h.name == "logits") continue;
            try {
                (void)model.hooks().match(h.name);
            } catch (const capture::InputError& e) {
                throw PluginError(describeAt(m_function.script, h.line,
                                             "declares hook '" + h.name +
                                                 "', which this model does not have (" + e.what() +
                                                 ")"));
            }
            spec.hooks.push_back(h.name);
        }
        return spec;
    }

    // On the worker, GIL held: no Python object outlives this function.
    void callPlugin(const analysis::MetricContext& ctx, const analysis::MetricParams& params,
                    const std::vector<std::pair<std::string, at::Tensor>>& activations,
                    const std::vector<int64_t>& ids, const std::vector<std::string>& strings,
                    const std::shared_ptr<CallState>& state, std::size_t item, std::size_t items,
                    std::vector<double>& scores, nlohmann::json& details) const {
        try {
            py::module_ host = hostModule();
            py::dict arrays;
            for (const auto& [name, tensor] : activations)
                arrays[name.c_str()] = readOnlyArray(tensor);
            const auto& c = ctx.model.config();
            py::dict config;
            config["n_layers"] = c.nLayers;
            config["n_heads"] = c.nHeads;
            config["n_kv_heads"] = c.nKvHeads;
            config["d_model"] = c.dModel;
            config["d_head"] = c.headDim;
            config["d_mlp"] = c.dMlp;
            config["vocab_size"] = c.vocabSize;
            config["architecture"] = c.architecture;
            config["raw"] = py::module_::import("json").attr("loads")(
                c.rawJson.empty() ? std::string("{}") : c.rawJson);
            const std::atomic<bool>* cancel = ctx.cancelToken();
            py::cpp_function progress([state](double f) {
                if (!state->active) return;
                state->fraction = std::clamp(f, 0.0, 1.0);
                state->progress.report(state->fraction);
            });
            py::cpp_function isCancelled(
                [state, cancel] { return state->active && cancel && cancel->load(); });
            const std::string plugin = m_function.script.plugin;
            py::cpp_function log([state, plugin](const std::string& message) {
                if (state->active)
                    state->progress.report(state->fraction, "[" + plugin + "] " + message);
            });
            py::object context = host.attr("Context")(
                arrays, py::cast(ids), py::cast(strings), config, progress, isCancelled, log, item,
                items,
                py::module_::import("json").attr("loads")(ctx.data.items[item].fields.dump()));
            py::tuple out = host.attr("run_metric")(
                m_function.script.plugin, m_function.script.file, m_function.function,
                m_function.line, context, pythonParams(params, m_function.params));
            state->active = false;
            scores = out[0].cast<std::vector<double>>();
            details = nlohmann::json::parse(out[1].cast<std::string>());
        } catch (py::error_already_set& e) {
            state->active = false;
            throwPluginFailure(e, m_function.script);
        }
    }

    PluginFunction m_function;
    analysis::MetricInfo m_info;
    std::vector<DeclaredHook> m_hooks;
};

}  // namespace

std::shared_ptr<const analysis::Metric> makePluginMetric(const PluginFunction& function,
                                                         const nlohmann::json& entry) {
    return std::make_shared<PluginMetric>(function, entry);
}

}  // namespace attnscope::plugins
