// Forward pass of a GPT-2-small-shaped random model at 512 tokens, bare and with every
// hook_pattern captured, against the machine's matmul roof measured in the same run.
//
// The roof is the best rate over several float32 matmul shapes (2048^3 and the forward's own
// GEMMs: QKV 512x768x2304, MLP up 512x768x3072, MLP down 512x3072x768), each timed as the best
// of several runs after a warm-up: a single median of one square shape sat below what the
// forward itself reached. Bare and captured forwards are timed interleaved (drift and other
// load hit both alike) and reported as best and median; capture/bare is given for both.
// Targets: forward >= 85% of the roof, capture/bare <= 1.05x.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_model.h"
#include "../bench_timing.h"

using namespace attnscope::capture;

using attnscope::bench::secondsOf;
using attnscope::bench::Timing;

namespace {

// GFLOP/s of an [m, k] x [k, n] float32 matmul: best of `repeats` after two warm-up runs.
double matmulRate(int64_t m, int64_t k, int64_t n, int repeats) {
    const at::Tensor a = at::randn({m, k}), b = at::randn({k, n});
    at::Tensor out = at::matmul(a, b);
    at::matmul_out(out, a, b);
    Timing t;
    for (int i = 0; i < repeats; ++i)
        t.seconds.push_back(secondsOf([&] { at::matmul_out(out, a, b); }));
    return 2.0 * double(m) * double(k) * double(n) / t.best() / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = configureThreads();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 512;
    at::NoGradGuard noGrad;
    at::manual_seed(0);

    struct Shape {
        int64_t m, k, n;
        const char* what;
    };
    const Shape shapes[] = {{2048, 2048, 2048, "square"},
                            {T, 768, 2304, "qkv"},
                            {T, 768, 3072, "mlp up"},
                            {T, 3072, 768, "mlp down"}};
    double roof = 0;
    std::printf("threads                 %d\n", threads);
    for (const Shape& s : shapes) {
        const double rate = matmulRate(s.m, s.k, s.n, 10);
        roof = std::max(roof, rate);
        std::printf("matmul %4lldx%4lldx%4lld  %6.1f GFLOP/s  (%s, best of 10)\n",
                    static_cast<long long>(s.m), static_cast<long long>(s.k),
                    static_cast<long long>(s.n), rate, s.what);
    }
    std::printf("roof                    %6.1f GFLOP/s  (best of the shapes)\n", roof);

    auto model = attnscope::bench::randomGpt2Small();
    const ModelConfig& c = model->config();
    const at::Tensor ids =
        at::randint(0, c.vocabSize, {1, T}, at::TensorOptions().dtype(at::kLong));

    const double D = c.dModel, M = c.dMlp, H = c.nHeads, d = c.headDim, L = c.nLayers;
    const double perLayer =
        2 * T * D * 3 * D + 2 * 2 * H * T * T * d + 2 * T * D * D + 2 * 2 * T * D * M;
    const double flops = L * perLayer + 2 * D * c.vocabSize;  // lm_head at the last position

    ActivationCache cache;
    CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern"};
    auto capturedForward = [&] {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids);
        cache.clear();  // inside the timing: freeing the patterns is part of the cost
    };
    model->forward(ids);  // warm-up: allocator, thread pool, first-touch of the weights
    capturedForward();
    Timing bare, captured;
    for (int i = 0; i < 7; ++i) {
        bare.seconds.push_back(secondsOf([&] { model->forward(ids); }));
        captured.seconds.push_back(secondsOf(capturedForward));
    }
    const double best = flops / bare.best() / 1e9, median = flops / bare.median() / 1e9;
    std::printf("forward T=%lld bare      best %.4f s  %.1f GFLOP/s  %.0f%% of roof\n",
                static_cast<long long>(T), bare.best(), best, 100 * best / roof);
    std::printf("                      median %.4f s  %.1f GFLOP/s  %.0f%% of roof\n",
                bare.median(), median, 100 * median / roof);
    std::printf("forward + all patterns  best %.4f s  median %.4f s\n", captured.best(),
                captured.median());
    std::printf("capture/bare            best %.3fx  median %.3fx\n", captured.best() / bare.best(),
                captured.median() / bare.median());
    return 0;
}
