#pragma once
// What the plugin tests share: models, one-item datasets, captured patterns, plugin runs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"
#include "attnscope/app/opened_model.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_paths.h"
#include "fixture_paths.h"

namespace attnscope::test {

inline std::filesystem::path demoModelDir() {
    return sourceDir() / "resources" / "models" / "demo";
}
inline std::filesystem::path gpt2TinyDir() {
    return fixturesDir() / "parity" / "gpt2-tiny";
}
inline std::filesystem::path testPluginsDir() {
    return ATTNSCOPE_TEST_PLUGINS_DIR;
}

/// A dataset of one item given as token ids.
inline analysis::Dataset idsDataset(const std::vector<int64_t>& ids) {
    analysis::Dataset d;
    d.description = "test ids";
    d.items.push_back({"", {{"ids", ids}}});
    return d;
}

/// Every layer's pattern [head, query, key] of one forward, captured in C++.
inline std::vector<at::Tensor> capturePatterns(capture::TransformerModel& model,
                                               const std::vector<int64_t>& ids) {
    at::NoGradGuard noGrad;
    capture::ActivationCache cache;
    {
        capture::HookScope scope(model.hooks());
        capture::CaptureSpec spec;
        spec.hooks = {"blocks.*.attn.hook_pattern"};
        capture::attachCapture(scope, model.hooks(), spec, cache);
        model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
    }
    std::vector<at::Tensor> out;
    for (int64_t l = 0; l < model.config().nLayers; ++l)
        out.push_back(cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern")[0]
                          .to(at::kDouble)
                          .contiguous());
    return out;
}

/// Runs a registry metric on one model and dataset.
inline analysis::MetricResult runOn(const analysis::MetricRegistry& registry,
                                    const std::string& metric, const app::OpenedModel& opened,
                                    const analysis::Dataset& data,
                                    const std::map<std::string, std::string>& params = {},
                                    capture::Progress progress = {}) {
    const analysis::MetricContext ctx{*opened.model, opened.tokenizer.get(), data, progress};
    return analysis::runMetric(registry, metric, params, ctx);
}

/// The message of the PluginError that `fn` throws ("(no PluginError)" otherwise).
template <typename Fn>
std::string pluginErrorOf(Fn fn) {
    try {
        fn();
    } catch (const plugins::PluginError& e) {
        return e.what();
    }
    return "(no PluginError)";
}

}  // namespace attnscope::test
