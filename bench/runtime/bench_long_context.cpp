// Peak RSS of a forward over T tokens of a 4-layer, 8-head, d 512 Llama-shaped random model,
// capturing to an HDF5 file either long-context data (q, k after RoPE and row log-sum-exp) or
// the full T×T patterns. Each configuration runs in a child process so its peak RSS is its own.
// Target: long-context peak RSS grows linearly in T (shown at T = 2k, 4k, 8k).
#include <ATen/ATen.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "attnscope/app/capture_export.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope;

namespace {

constexpr int64_t kLayers = 4, kHeads = 8, kDModel = 512;
// Full-pattern captures above this are refused and only their size is predicted.
constexpr double kFullPatternLimitBytes = 6e9;

void runChild(int64_t T, bool longContext) {
    capture::configureThreads();
    const std::string json = R"({"architectures":["LlamaForCausalLM"],"vocab_size":1024,
        "hidden_size":512,"intermediate_size":1376,"num_hidden_layers":4,
        "num_attention_heads":8,"num_key_value_heads":8,"max_position_embeddings":16384})";
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
    const auto path = std::filesystem::temp_directory_path() /
                      ("attnscope-bench-" + std::to_string(::getpid()) + ".h5");
    const auto t0 = std::chrono::steady_clock::now();
    app::runPromptToFile(opened, prompt, spec, {}, 1, path, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto fileBytes = std::filesystem::file_size(path);
    std::filesystem::remove(path);
    std::printf("  forward+write %.2f s, file %.1f MB", seconds, fileBytes / 1e6);
    std::fflush(stdout);
}

}  // namespace

int main() {
    std::printf("model: %lld layers, %lld heads, d_model %lld (Llama-shaped, random)\n",
                static_cast<long long>(kLayers), static_cast<long long>(kHeads),
                static_cast<long long>(kDModel));
    for (bool longContext : {true, false}) {
        for (int64_t T : {2048, 4096, 8192}) {
            const double patternBytes = 4.0 * kLayers * kHeads * T * T;
            std::printf("%-13s T=%-5lld", longContext ? "long-context" : "full patterns",
                        static_cast<long long>(T));
            if (!longContext && patternBytes > kFullPatternLimitBytes) {
                std::printf("  refused: the patterns alone would take %.1f GB\n",
                            patternBytes / 1e9);
                continue;
            }
            std::fflush(stdout);
            const pid_t pid = ::fork();
            if (pid == 0) {
                runChild(T, longContext);
                std::_Exit(0);
            }
            int status = 0;
            struct rusage usage {};
            ::wait4(pid, &status, 0, &usage);
            std::printf("  peak RSS %.0f MB%s\n", usage.ru_maxrss / 1024.0,
                        WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : "  (child failed)");
        }
    }
    return 0;
}
