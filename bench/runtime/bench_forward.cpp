// Forward pass of a GPT-2-small-shaped random model at 512 tokens, bare and with every
// hook_pattern captured, against the machine's matmul roof measured in the same run.
//
// The roof is the best rate over several float32 matmul shapes (2048^3 and the forward's own
// GEMMs: QKV 512x768x2304, MLP up 512x768x3072, MLP down 512x3072x768), each timed as the best
// of several runs after a warm-up: a single median of one square shape sat below what the
// forward itself reached. The roof's samples, bare forwards and captured forwards are timed in
// turn, round after round, so that drift and other load on a shared host hit all three alike;
// the forwards are reported as best and median, and capture/bare for both.
// Targets: forward >= 85% of the roof, capture/bare <= 1.05x.
#include <ATen/ATen.h>

#include <cstdio>
#include <cstdlib>

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_model.h"
#include "../bench_roof.h"
#include "../bench_timing.h"

using namespace attnscope::capture;

using attnscope::bench::secondsOf;
using attnscope::bench::Timing;

int main(int argc, char** argv) {
    const int threads = configureRuntime();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 512;
    at::NoGradGuard noGrad;
    at::manual_seed(0);

    std::printf("threads                 %d\n", threads);
    attnscope::bench::RoofSampler roofSampler(T);

    auto model = attnscope::bench::randomGpt2Small();
    const ModelConfig& c = model->config();
    const at::Tensor ids =
        at::randint(0, c.vocabSize, {1, T}, at::TensorOptions().dtype(at::kLong));

    const double flops = attnscope::bench::gpt2SmallForwardFlops(double(T));

    ActivationCache cache;
    CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern"};
    auto capturedForward = [&] {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids);
        cache.clear();  // inside the timing: freeing the patterns is part of the cost
    };
    // The first forward pays what a whole process pays once: the allocator's first touch of
    // every activation buffer and of the weights, and the thread pool's start.
    const double first = secondsOf([&] { model->forward(ids); });
    capturedForward();
    Timing bare, captured;
    for (int i = 0; i < 10; ++i) {
        roofSampler.sample();
        bare.seconds.push_back(secondsOf([&] { model->forward(ids); }));
        captured.seconds.push_back(secondsOf(capturedForward));
    }
    roofSampler.print();
    const double roof = roofSampler.roof();
    const double best = flops / bare.best() / 1e9, median = flops / bare.median() / 1e9;
    std::printf("forward T=%lld bare      best %.4f s  %.1f GFLOP/s  %.0f%% of roof\n",
                static_cast<long long>(T), bare.best(), best, 100 * best / roof);
    std::printf("                      median %.4f s  %.1f GFLOP/s  %.0f%% of roof\n",
                bare.median(), median, 100 * median / roof);
    std::printf("first forward (cold)    %.4f s  %.2fx the best\n", first, first / bare.best());
    std::printf(
        "forward + all patterns  best %.4f s  %.0f%% of roof  median %.4f s  %.0f%% of roof\n",
        captured.best(), 100 * flops / captured.best() / 1e9 / roof, captured.median(),
        100 * flops / captured.median() / 1e9 / roof);
    std::printf("capture/bare            best %.3fx  median %.3fx\n", captured.best() / bare.best(),
                captured.median() / bare.median());
    return 0;
}
