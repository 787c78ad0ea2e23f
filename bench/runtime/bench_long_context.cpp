// Time and peak RSS of a forward over T tokens of a 4-layer, 8-head, d 512 Llama-shaped random
// model, capturing to an HDF5 file either long-context data (q, k after RoPE and row
// log-sum-exp) or the full T×T patterns. Each configuration runs in a child process so its peak
// RSS is its own; the matmul roof is measured in a child of its own too, because the OpenMP
// thread pool a parent started does not survive fork().
// Targets: the long-context forward runs at ≤ 1.5× the time of its FLOPs at the same-run matmul
// roof (at T = 8192), and its peak RSS grows linearly in T.
// Usage: bench_long_context [T ...]   (default 2048 4096 8192)
#include <ATen/ATen.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../bench_roof.h"
#include "../bench_timing.h"
#include "attnscope/app/capture_export.h"
#include "attnscope/app/prompt_run.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope;

namespace {

constexpr int64_t kLayers = 4, kHeads = 8, kKvHeads = 8, kDModel = 512, kDMlp = 1376;
constexpr int64_t kVocab = 1024, kHeadDim = kDModel / kHeads;
constexpr double kRoofLimit = 1.5;  // the long-context forward's time / its FLOPs at the roof
// Full-pattern captures above this are refused and only their size is predicted.
constexpr double kFullPatternLimitBytes = 6e9;

// FLOPs of one forward over T tokens: the q/k/v and output projections, the gated MLP (three
// matrices), causal attention (QK^T and PV over the T(T+1)/2 visible query-key pairs) and the
// unembedding, which runs at the last position only.
double forwardFlops(double T) {
    const double D = kDModel, F = kDMlp, H = kHeads, Hkv = kKvHeads, d = kHeadDim;
    const double projections = 2 * T * D * (H + 2 * Hkv) * d + 2 * T * H * d * D;
    const double mlp = 3 * 2 * T * D * F;
    const double attention = 2 * 2 * H * d * T * (T + 1) / 2;
    return kLayers * (projections + mlp + attention) + 2 * D * kVocab;
}

// The roof over bench_roof.h's shapes plus this model's own projection and MLP GEMMs.
double measureRoof() {
    capture::configureRuntime();
    bench::RoofSampler sampler(2048);
    sampler.add(8192, kDModel, 3 * kDModel, "this model's qkv");
    sampler.add(8192, kDModel, kDMlp, "this model's mlp gate");
    sampler.add(8192, kDMlp, kDModel, "this model's mlp down");
    for (int i = 0; i < 5; ++i)
        sampler.sample();
    sampler.print();
    return sampler.roof();
}

struct ChildResult {
    double totalSeconds = 0, writeSeconds = 0, fileBytes = 0;
};

ChildResult runChild(int64_t T, bool longContext) {
    capture::configureRuntime();
    // The shape the FLOP count above describes.
    const std::string json =
        R"({"architectures":["LlamaForCausalLM"],"max_position_embeddings":16384,"vocab_size":)" +
        std::to_string(kVocab) + R"(,"hidden_size":)" + std::to_string(kDModel) +
        R"(,"intermediate_size":)" + std::to_string(kDMlp) + R"(,"num_hidden_layers":)" +
        std::to_string(kLayers) + R"(,"num_attention_heads":)" + std::to_string(kHeads) +
        R"(,"num_key_value_heads":)" + std::to_string(kKvHeads) + "}";
    app::OpenedModel opened;
    opened.model = std::make_shared<capture::TransformerModel>(
        capture::parseModelConfig(json, "bench"), at::TensorOptions().dtype(at::kFloat));
    for (auto& p : opened.model->parameters())
        p.normal_(0.0, 0.02);
    std::vector<int64_t> ids(static_cast<std::size_t>(T));
    for (int64_t i = 0; i < T; ++i)
        ids[i] = (i * 7919) % 1024;
    const app::PromptTokens prompt = app::promptFromIds(opened, ids);
    capture::CaptureSpec spec;
    if (!longContext) spec.hooks = {"blocks.*.attn.hook_pattern"};
    app::CaptureFileOptions options;
    options.longContext = longContext;

    ChildResult r;
    const auto path = std::filesystem::temp_directory_path() /
                      ("attnscope-bench-" + std::to_string(::getpid()) + ".h5");
    app::PromptRun run;
    r.totalSeconds = bench::secondsOf(
        [&] { run = app::runPromptToFile(opened, prompt, spec, {}, 1, path, options); });
    r.writeSeconds = run.writeSeconds;
    r.fileBytes = static_cast<double>(std::filesystem::file_size(path));
    std::filesystem::remove(path);
    return r;
}

// Runs fn in a child process and returns what it wrote to the pipe, its peak RSS in MB and
// whether it succeeded.
template <typename T, typename Fn>
bool inChild(Fn fn, T& result, double& peakMb) {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        const T value = fn();
        const bool ok = ::write(fds[1], &value, sizeof value) == sizeof value;
        std::fflush(stdout);
        std::_Exit(ok ? 0 : 1);
    }
    ::close(fds[1]);
    const bool read = ::read(fds[0], &result, sizeof result) == sizeof result;
    ::close(fds[0]);
    int status = 0;
    struct rusage usage {};
    ::wait4(pid, &status, 0, &usage);
    peakMb = usage.ru_maxrss / 1024.0;
    return read && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int64_t> lengths;
    for (int i = 1; i < argc; ++i) {
        char* end = nullptr;
        const long long T = std::strtoll(argv[i], &end, 10);
        if (*end != '\0' || T <= 0) {
            std::fprintf(stderr,
                         "usage: bench_long_context [T ...]  (T: token counts > 0; got '%s')\n",
                         argv[i]);
            return 2;
        }
        lengths.push_back(T);
    }
    if (lengths.empty()) lengths = {2048, 4096, 8192};
    std::printf("model: %lld layers, %lld heads, d_model %lld, d_mlp %lld (Llama-shaped, random)\n",
                static_cast<long long>(kLayers), static_cast<long long>(kHeads),
                static_cast<long long>(kDModel), static_cast<long long>(kDMlp));
    const char* wait = std::getenv("OMP_WAIT_POLICY");
    std::printf("OMP_WAIT_POLICY=%s\n", wait ? wait : "(unset; passive recommended)");
    double roof = 0, roofPeak = 0;
    if (!inChild([] { return measureRoof(); }, roof, roofPeak)) {
        std::printf("roof measurement failed\n");
        return 1;
    }
    bool failed = false;
    for (bool longContext : {true, false}) {
        for (int64_t T : lengths) {
            const double patternBytes = 4.0 * kLayers * kHeads * T * T;
            std::printf("%-13s T=%-5lld", longContext ? "long-context" : "full patterns",
                        static_cast<long long>(T));
            if (!longContext && patternBytes > kFullPatternLimitBytes) {
                std::printf("  refused: the patterns alone would take %.1f GB\n",
                            patternBytes / 1e9);
                continue;
            }
            ChildResult r;
            double peakMb = 0;
            const bool ok = inChild([&] { return runChild(T, longContext); }, r, peakMb);
            if (!ok) {
                std::printf("  (child failed)  peak RSS %.0f MB\n", peakMb);
                failed = true;
                continue;
            }
            const double flops = forwardFlops(static_cast<double>(T));
            const double forward = r.totalSeconds - r.writeSeconds;
            const double ratio = forward / (flops / (roof * 1e9));
            std::printf(
                "  %.0f GFLOP  forward %.2f s  write %.2f s  file %.1f MB  peak RSS %.0f MB"
                "  forward/roof %.2fx",
                flops / 1e9, forward, r.writeSeconds, r.fileBytes / 1e6, peakMb, ratio);
            if (longContext && T == 8192) {
                std::printf(" (limit %.1fx: %s)", kRoofLimit, ratio <= kRoofLimit ? "met" : "OVER");
            }
            std::printf("\n");
        }
    }
    return failed ? 1 : 0;
}
