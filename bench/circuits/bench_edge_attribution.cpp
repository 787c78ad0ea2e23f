// Edge attribution and ACDC (spec 6.7, 6.3, 6.9):
// - EAP and EAP-IG (m = 5) over 100 pairs of 16 tokens on a GPT-2-small-shaped random model:
//   seconds, and the share of the same-run matmul roof that the forward and backward passes
//   reach (model FLOPs: 2·params·tokens per forward, twice that per backward). Goal: EAP-IG
//   under a minute on 2 cores (the published GPU figure is 60 s for 1,000 pairs).
// - ACDC on the demo model's associative-recall pairs: seconds and patched forwards.
// Usage: bench_edge_attribution [pairs=100] [acdc pairs=16] [acdc threshold=0.05]
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>

#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/app/opened_model.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_timing.h"

using namespace attnscope;
using namespace attnscope::analysis::circuits;

using attnscope::bench::secondsOf;

namespace {

// CPU seconds of the whole process: on a machine shared with other jobs the wall time of a
// step mostly measures the others; CPU time / threads is what it would take alone.
double cpuSeconds() {
    return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// GFLOP/s of float32 matmuls of the shapes a 16-token batch of 32 pairs runs (512 rows):
// best over shapes of the best of several runs.
double matmulRoof() {
    double best = 0;
    const int64_t shapes[][3] = {{512, 768, 2304}, {512, 768, 3072}, {512, 3072, 768}};
    for (const auto& s : shapes) {
        const at::Tensor a = at::randn({s[0], s[1]}), b = at::randn({s[1], s[2]});
        at::Tensor out = at::matmul(a, b);
        for (int i = 0; i < 8; ++i) {
            const double t = secondsOf([&] { at::matmul_out(out, a, b); });
            best = std::max(best, 2.0 * double(s[0]) * double(s[1]) * double(s[2]) / t / 1e9);
        }
    }
    return best;
}

std::vector<PromptPair> randomPairs(int64_t vocab, int count, int length) {
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<int64_t> token(0, vocab - 1);
    std::vector<PromptPair> pairs(static_cast<size_t>(count));
    for (auto& p : pairs) {
        for (int i = 0; i < length; ++i)
            p.clean.push_back(token(rng));
        p.corrupted = p.clean;
        p.corrupted[static_cast<size_t>(length / 2)] = token(rng);  // one token differs
        p.answer = token(rng);
        p.wrong = (p.answer + 1) % vocab;
    }
    return pairs;
}

void attribution(int pairCount) {
    const auto config = capture::parseModelConfig(
        R"({"architectures":["GPT2LMHeadModel"],"vocab_size":50257,"n_positions":1024,
            "n_embd":768,"n_layer":12,"n_head":12})",
        "bench");
    auto model =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    {
        at::NoGradGuard noGrad;
        for (auto& p : model->parameters())
            p.normal_(0.0, 0.02);
    }
    const int length = 16;
    const auto pairs = randomPairs(config.vocabSize, pairCount, length);
    const double roof = matmulRoof();
    std::printf("matmul roof            %7.1f GFLOP/s (best of the forward's GEMM shapes)\n", roof);

    std::unique_ptr<EdgePatcher> patcher;
    const double cacheSeconds =
        secondsOf([&] { patcher = std::make_unique<EdgePatcher>(*model, pairs); });
    std::printf("graph                  %lld edges; %d pairs of %d tokens\n",
                static_cast<long long>(patcher->graph().edgeCount()), pairCount, length);
    std::printf("clean+corrupted cache  %7.2f s (2 forwards)\n", cacheSeconds);

    // Model FLOPs of one forward over every pair: 2 · non-embedding params · tokens, attention
    // scores and values, and the unembedding at the last position.
    const double L = 12, D = 768, M = 3072, T = length, tokens = double(pairCount) * length;
    const double forwardFlops = tokens * L * (2 * 4 * D * D + 2 * 2 * D * M + 2 * 2 * T * D) +
                                double(pairCount) * 2 * D * double(config.vocabSize);
    for (int steps : {0, 5}) {
        const double cpu0 = cpuSeconds();
        const double seconds = secondsOf([&] { patcher->attributionScores(steps); });
        const double cpu = cpuSeconds() - cpu0;
        const int passes = std::max(steps, 1);
        // Each pass is a forward and a backward (about twice a forward); EAP-IG adds a clean
        // forward for the activation differences.
        const double flops = passes * 3 * forwardFlops + (steps ? forwardFlops : 0);
        std::printf("%-22s %7.2f s wall, %7.2f s CPU  %6.1f GFLOP/s = %4.0f%% of the roof\n",
                    steps ? "EAP-IG (m = 5)" : "EAP", seconds, cpu, flops / seconds / 1e9,
                    100.0 * flops / seconds / 1e9 / roof);
    }
    std::vector<uint8_t> kept(static_cast<size_t>(patcher->graph().edgeCount()), 1);
    for (size_t e = 0; e < kept.size(); e += 2)
        kept[e] = 0;
    const double evalSeconds = secondsOf([&] { patcher->evaluate(kept); });
    std::printf("one circuit evaluation %7.2f s (half the edges removed)\n", evalSeconds);
}

void acdcOnDemo(int pairCount, double threshold) {
    auto opened = app::openModel(std::filesystem::path(ATTNSCOPE_RESOURCES_DIR) / "models/demo");
    const auto pairs = demoTaskPairs(opened.dir, "mqar", *opened.tokenizer, pairCount, 1);
    EdgePatcher patcher(*opened.model, pairs);
    Circuit circuit;
    const double seconds = secondsOf([&] { circuit = acdc(patcher, threshold); });
    int64_t kept = 0;
    for (uint8_t k : circuit.inCircuit)
        kept += k;
    std::printf(
        "ACDC on the demo model %7.2f s, %lld patched forwards of %d pairs, tau %g: "
        "%lld of %lld edges kept, faithfulness %.3f\n",
        seconds, static_cast<long long>(circuit.parameters["forwards"].get<int64_t>()), pairCount,
        threshold, static_cast<long long>(kept),
        static_cast<long long>(patcher.graph().edgeCount()),
        patcher.faithfulness(patcher.evaluate(circuit.inCircuit)));
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int threads = capture::configureThreads();
    at::manual_seed(0);
    std::printf("threads                %d\n", threads);
    attribution(argc > 1 ? std::atoi(argv[1]) : 100);
    acdcOnDemo(argc > 2 ? std::atoi(argv[2]) : 16, argc > 3 ? std::atof(argv[3]) : 0.05);
    return 0;
}
