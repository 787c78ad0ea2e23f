// Forward pass of a GPT-2-small-shaped random model at 512 tokens, bare and with every
// hook_pattern captured, against a same-run 2048^3 float32 matmul (the machine's roof).
// Prints seconds, GFLOP/s of the work actually done, its fraction of the matmul rate and the
// capture/bare ratio. Targets: >= 70% of the matmul rate, capture overhead <= 1.05x.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope::capture;

namespace {

template <typename Fn>
double medianSeconds(int repeats, Fn fn) {
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = configureThreads();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 512;
    at::NoGradGuard noGrad;
    at::manual_seed(0);

    const at::Tensor a = at::randn({2048, 2048}), b = at::randn({2048, 2048});
    at::matmul(a, b);
    const double mmSeconds = medianSeconds(5, [&] { at::matmul(a, b); });
    const double mmRate = 2.0 * 2048 * 2048 * 2048 / mmSeconds / 1e9;

    const ModelConfig c = parseModelConfig(
        R"({"architectures":["GPT2LMHeadModel"],"vocab_size":50257,"n_positions":1024,
            "n_embd":768,"n_layer":12,"n_head":12})",
        "bench");
    auto model = std::make_shared<TransformerModel>(c, at::TensorOptions().dtype(at::kFloat));
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.02);
    const at::Tensor ids =
        at::randint(0, c.vocabSize, {1, T}, at::TensorOptions().dtype(at::kLong));

    const double D = c.dModel, M = c.dMlp, H = c.nHeads, d = c.headDim, L = c.nLayers;
    const double perLayer =
        2 * T * D * 3 * D + 2 * 2 * H * T * T * d + 2 * T * D * D + 2 * 2 * T * D * M;
    const double flops = L * perLayer + 2 * D * c.vocabSize;  // lm_head at the last position

    model->forward(ids);
    const double bare = medianSeconds(7, [&] { model->forward(ids); });
    double captured = 0;
    {
        ActivationCache cache;
        HookScope scope(model->hooks());
        CaptureSpec spec;
        spec.hooks = {"blocks.*.attn.hook_pattern"};
        attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids);
        captured = medianSeconds(7, [&] {
            cache.clear();
            model->forward(ids);
        });
    }
    const double rate = flops / bare / 1e9;
    std::printf("threads                 %d\n", threads);
    std::printf("matmul 2048^3           %.4f s  %.1f GFLOP/s\n", mmSeconds, mmRate);
    std::printf("forward T=%lld bare      %.4f s  %.1f GFLOP/s  %.0f%% of matmul rate\n",
                static_cast<long long>(T), bare, rate, 100 * rate / mmRate);
    std::printf("forward + all patterns  %.4f s  capture/bare %.3fx\n", captured, captured / bare);
    return 0;
}
