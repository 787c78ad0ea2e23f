// The cost of handing every hook_pattern of a GPT-2-small-shaped random model at 256 tokens to
// a plugin that returns at once, as a fraction of the forward time measured in the same run.
//
// Three runs are timed interleaved (drift and other load hit them alike), best and median of 9:
//   bare      the forward alone,
//   captured  the forward with every layer's hook_pattern captured (what any metric needs),
//   plugin    the registry's plugin:noop on the same prompt: the captured forward, the numpy
//             views (zero-copy), the call on the plugin worker and the result checks.
// The hand-off itself (views, call, checks) is timed inside the metric (its details'
// plugin_seconds): overhead = hand-off / bare forward, the figure that counts; the difference
// plugin - captured is printed too but is within the noise of two whole forwards on a shared
// machine. Target: well under 5% (the views share the tensors).
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/plugins/plugin_host.h"

#include "../bench_model.h"
#include "../bench_timing.h"

using namespace attnscope;

using attnscope::bench::secondsOf;
using attnscope::bench::Timing;

int main(int argc, char** argv) {
    const int threads = capture::configureRuntime();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 256;
    at::NoGradGuard noGrad;
    at::manual_seed(0);
    auto model = bench::randomGpt2Small();
    const capture::ModelConfig& c = model->config();
    const at::Tensor ids =
        at::randint(0, c.vocabSize, {1, T}, at::TensorOptions().dtype(at::kLong));

    const auto dir = std::filesystem::temp_directory_path() / "attnscope_bench_plugins";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "noop.py")
        << "import numpy as np\n"
           "ATTNSCOPE_PLUGIN = {'name': 'noop', 'api_version': 1, 'metrics': [\n"
           "    {'name': 'noop', 'function': 'noop', 'hooks': ['blocks.*.attn.hook_pattern']}]}\n"
           "def noop(ctx, params):\n"
           "    return np.zeros((ctx.n_layers, ctx.n_heads))\n";
    analysis::MetricRegistry registry;
    const auto records = plugins::PluginHost::instance().load({dir}, registry);
    if (records.size() != 1 || !records[0].loaded) {
        std::fprintf(stderr, "noop plugin did not load\n");
        return 1;
    }
    analysis::Dataset data;
    data.items.push_back(
        {"",
         {{"ids", std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + T)}}});
    const analysis::MetricContext ctx{*model, nullptr, data, {}};

    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern"};
    auto captured = [&] {
        capture::ActivationCache cache;
        capture::HookScope scope(model->hooks());
        capture::attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids, {});
    };
    Timing handOff;
    auto plugin = [&] {
        const auto r = analysis::runMetric(registry, "plugin:noop", {}, ctx);
        handOff.seconds.push_back(r.details["plugin_seconds"].get<double>());
    };
    model->forward(ids);  // warm-up: allocator, thread pool, weights; the first import
    captured();
    plugin();
    handOff.seconds.clear();
    Timing bare, withCapture, withPlugin;
    for (int i = 0; i < 9; ++i) {
        bare.seconds.push_back(secondsOf([&] { model->forward(ids); }));
        withCapture.seconds.push_back(secondsOf(captured));
        withPlugin.seconds.push_back(secondsOf(plugin));
    }
    const double mb = double(c.nLayers * c.nHeads * T * T * 4) / 1e6;
    std::printf("threads %d, T=%lld, %lld layers x %lld heads, patterns %.1f MB\n", threads,
                static_cast<long long>(T), static_cast<long long>(c.nLayers),
                static_cast<long long>(c.nHeads), mb);
    std::printf("forward bare            best %.4f s  median %.4f s\n", bare.best(), bare.median());
    std::printf("forward + patterns      best %.4f s  median %.4f s\n", withCapture.best(),
                withCapture.median());
    std::printf("plugin:noop (all)       best %.4f s  median %.4f s\n", withPlugin.best(),
                withPlugin.median());
    std::printf("hand-off (views + call)  best %.6f s  median %.6f s\n", handOff.best(),
                handOff.median());
    std::printf(
        "(plugin - captured) / bare  best %+.2f%%  median %+.2f%%  (noise of two forwards)\n",
        100 * (withPlugin.best() - withCapture.best()) / bare.best(),
        100 * (withPlugin.median() - withCapture.median()) / bare.median());
    const double overhead = handOff.median() / bare.median();
    std::printf("plugin overhead / forward  median %.3f%%  best %.3f%%  (limit 5%%: %s)\n",
                100 * overhead, 100 * handOff.best() / bare.best(),
                overhead < 0.05 ? "ok" : "OVER");
    std::filesystem::remove_all(dir);
    return 0;
}
