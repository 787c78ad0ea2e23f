// Edge attribution and ACDC (spec 6.7, 6.3, 6.9):
// - EAP and EAP-IG (m = 5) over 100 pairs of 16 tokens on a GPT-2-small-shaped random model:
//   wall and CPU seconds, forwards and backwards, peak RSS, and the share of the same-run matmul
//   roof reached. FLOPs counted are those executed: per run a forward and a backward to the
//   activations only (no weight gradients, so about a forward again), the per-head q/k/v GEMM
//   that forms the receiver gradients, and once per call the scoring GEMM of every edge; EAP-IG
//   adds the clean forward. Goal (issue 13): EAP-IG under a minute on 2 cores (the published GPU
//   figure is 60 s for 1,000 pairs); the bench prints its time over that minute, scaled to 100
//   pairs, and the load average, since the machine it runs on is shared.
// - With --model DIR: the same on a checkpoint folder in --dtype (EAP only unless --steps is
//   given), e.g. a random Llama-2-7B-shaped bf16 checkpoint for 4 pairs of 16 tokens, with the
//   peak RSS (issue 13: within 24 GiB).
// - Per position: EAP with per-position scores and an evaluation with edges removed per
//   position, as ratios to EAP and to the evaluation by edges.
// - ACDC on the demo model's associative-recall pairs: seconds and patched forwards; then exact
//   edge patching on the same pairs, whose single-edge forwards start at the edge's receiver,
//   timed per forward against ACDC's forwards from the input.
// Usage: bench_edge_attribution [--pairs N=100] [--tokens T=16] [--steps M=5] [--model DIR]
//          [--dtype float32|bfloat16] [--acdc-pairs N=16] [--acdc-threshold TAU=0.05] [--no-acdc]
#include <ATen/ATen.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>

#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/app/opened_model.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_model.h"
#include "../bench_timing.h"

using namespace attnscope;
using namespace attnscope::analysis::circuits;

using attnscope::bench::secondsOf;

namespace {

struct Options {
    int pairs = 100;
    int tokens = 16;
    int steps = 5;
    bool stepsGiven = false;
    std::string model;  ///< empty: the random GPT-2-small model
    std::string dtype = "float32";
    int acdcPairs = 16;
    double acdcThreshold = 0.05;
    bool acdc = true;
};

Options parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", flag.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (flag == "--pairs") {
            o.pairs = std::atoi(value().c_str());
        } else if (flag == "--tokens") {
            o.tokens = std::atoi(value().c_str());
        } else if (flag == "--steps") {
            o.steps = std::atoi(value().c_str());
            o.stepsGiven = true;
        } else if (flag == "--model") {
            o.model = value();
        } else if (flag == "--dtype") {
            o.dtype = value();
        } else if (flag == "--acdc-pairs") {
            o.acdcPairs = std::atoi(value().c_str());
        } else if (flag == "--acdc-threshold") {
            o.acdcThreshold = std::atof(value().c_str());
        } else if (flag == "--no-acdc") {
            o.acdc = false;
        } else {
            std::fprintf(stderr, "unknown option %s (see the comment at the top of %s)\n",
                         flag.c_str(), __FILE__);
            std::exit(2);
        }
    }
    if (o.pairs < 1 || o.tokens < 2 || o.steps < 0) {
        std::fprintf(stderr, "--pairs must be >= 1, --tokens >= 2 and --steps >= 0\n");
        std::exit(2);
    }
    return o;
}

// CPU seconds of the whole process: on a machine shared with other jobs the wall time of a
// step mostly measures the others; CPU time / threads is what it would take alone.
double cpuSeconds() {
    return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double peakRssGiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB
}

// GFLOP/s of the model's own matmul shapes (qkv, MLP up, MLP down) in its dtype, for `rows`
// rows (one batch of tokens): best over shapes of the best of several runs.
double matmulRoof(const capture::ModelConfig& c, int64_t rows, at::ScalarType dtype) {
    double best = 0;
    const int64_t qkv = c.headDim * (c.nHeads + 2 * c.nKvHeads);
    const int64_t shapes[][3] = {
        {rows, c.dModel, qkv}, {rows, c.dModel, c.dMlp}, {rows, c.dMlp, c.dModel}};
    for (const auto& s : shapes) {
        const at::Tensor a = at::randn({s[0], s[1]}).to(dtype),
                         b = at::randn({s[1], s[2]}).to(dtype);
        at::Tensor out = at::matmul(a, b);
        for (int i = 0; i < 8; ++i) {
            const double t = secondsOf([&] { at::matmul_out(out, a, b); });
            best = std::max(best, 2.0 * double(s[0]) * double(s[1]) * double(s[2]) / t / 1e9);
        }
    }
    return best;
}

// FLOPs of one forward over `pairs` prompts of `tokens` tokens: 2 · layer weights · tokens,
// attention scores and values, and the unembedding at the last position.
double forwardFlops(const capture::ModelConfig& c, int pairs, int tokens) {
    const double D = double(c.dModel), M = double(c.dMlp), d = double(c.headDim);
    const double H = double(c.nHeads), K = double(c.nKvHeads), T = tokens;
    const double mlpMatrices = c.mlp == capture::MlpKind::Gelu ? 2 : 3;
    const double perToken =
        double(c.nLayers) * 2 * (D * d * (2 * H + 2 * K) + mlpMatrices * D * M + 2 * T * H * d);
    return double(pairs) * (T * perToken + 2 * D * double(c.vocabSize));
}

// FLOPs executed by attributionScores(steps) (see the top of the file).
double attributionFlops(const capture::ModelConfig& c, const EdgeGraph& graph, int steps, int pairs,
                        int tokens) {
    const double forward = forwardFlops(c, pairs, tokens);
    const double tokensTotal = double(pairs) * tokens, D = double(c.dModel);
    const double receiverGemm =
        double(c.nLayers) * 2 * tokensTotal * D * double(c.headDim * (c.nHeads + 2 * c.nKvHeads));
    const double logitsEdges = graph.senderCount(graph.logitsReceiver());
    const double scoring =
        2 * D * (tokensTotal * (double(graph.edgeCount()) - logitsEdges) + pairs * logitsEdges);
    return std::max(steps, 1) * (2 * forward + receiverGemm) + scoring + (steps ? forward : 0);
}

double loadAverage() {
    double load[1] = {0};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
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

void attribution(const Options& o) {
    std::shared_ptr<capture::TransformerModel> model;
    const double loadSeconds = secondsOf([&] {
        if (o.model.empty()) {
            model = bench::randomGpt2Small();
        } else {
            capture::LoadOptions load;
            load.dtype = capture::parseComputeDType(o.dtype);
            model = app::openModel(o.model, load).model;
        }
    });
    const auto& config = model->config();
    const at::ScalarType dtype = model->tensorOptions().dtype().toScalarType();
    std::printf(
        "model                  %s, %lld layers, d_model %lld, %s: loaded in %.2f s, "
        "peak RSS %.2f GiB\n",
        o.model.empty() ? "random GPT-2 small" : o.model.c_str(),
        static_cast<long long>(config.nLayers), static_cast<long long>(config.dModel),
        std::string(c10::toString(dtype)).c_str(), loadSeconds, peakRssGiB());
    const auto pairs = randomPairs(config.vocabSize, o.pairs, o.tokens);
    EdgePatchingOptions patching;
    // Pairs are cut into batches as even as they can be (stackPromptPairs).
    const int batches = static_cast<int>((o.pairs + patching.batchSize - 1) / patching.batchSize);
    const int batchPairs = (o.pairs + batches - 1) / batches;
    const double roof = matmulRoof(config, int64_t(batchPairs) * o.tokens, dtype);
    std::printf("matmul roof            %7.1f GFLOP/s (best of the model's GEMM shapes, %d rows)\n",
                roof, batchPairs * o.tokens);

    std::unique_ptr<EdgePatcher> patcher;
    double cpu0 = cpuSeconds();
    const double cacheSeconds =
        secondsOf([&] { patcher = std::make_unique<EdgePatcher>(*model, pairs, patching); });
    std::printf("graph                  %lld edges; %d pairs of %d tokens in %d batches\n",
                static_cast<long long>(patcher->graph().edgeCount()), o.pairs, o.tokens, batches);
    std::printf(
        "clean+corrupted cache  %7.2f s wall, %7.2f s CPU (%d forwards: clean, corrupted, empty "
        "circuit), peak RSS %.2f GiB, load average %.1f\n",
        cacheSeconds, cpuSeconds() - cpu0, 3 * batches, peakRssGiB(), loadAverage());

    std::vector<int> stepsToRun{0};
    if (o.steps > 0 && (o.model.empty() || o.stepsGiven)) stepsToRun.push_back(o.steps);
    double eapSeconds = 0;
    for (int steps : stepsToRun) {
        cpu0 = cpuSeconds();
        const double seconds = secondsOf([&] { patcher->attributionScores(steps); });
        if (steps == 0) eapSeconds = seconds;
        const double cpu = cpuSeconds() - cpu0;
        const int passes = std::max(steps, 1);
        const double gflops =
            attributionFlops(config, patcher->graph(), steps, o.pairs, o.tokens) / seconds / 1e9;
        const std::string name = steps ? "EAP-IG (m = " + std::to_string(steps) + ")" : "EAP";
        std::printf(
            "%-22s %7.2f s wall, %7.2f s CPU, %d forwards + %d backwards  %6.1f GFLOP/s "
            "= %4.0f%% of the roof, peak RSS %.2f GiB, load average %.1f\n",
            name.c_str(), seconds, cpu, batches * (passes + (steps ? 1 : 0)), batches * passes,
            gflops, 100.0 * gflops / roof, peakRssGiB(), loadAverage());
        if (steps == 5 && o.model.empty() && o.tokens == 16)
            std::printf(
                "EAP-IG against the goal %.2f of the 60 s limit for 100 pairs (%s; goal: < 1)\n",
                seconds * 100.0 / o.pairs / 60.0,
                o.pairs == 100 ? "measured" : "scaled from this run's pairs");
    }
    if (!o.model.empty()) return;
    std::vector<uint8_t> kept(static_cast<size_t>(patcher->graph().edgeCount()), 1);
    for (size_t e = 0; e < kept.size(); e += 2)
        kept[e] = 0;
    cpu0 = cpuSeconds();
    const double evalSeconds = secondsOf([&] { patcher->evaluate(kept); });
    std::printf("one circuit evaluation %7.2f s wall, %7.2f s CPU (half the edges removed)\n",
                evalSeconds, cpuSeconds() - cpu0);

    // Per position (the circuit panel's positions as columns): EAP scored per token position,
    // and the same circuit evaluated as cells (each edge removed at every position), as ratios
    // to their collapsed counterparts in this run.
    std::vector<float> cells;
    const double perPositionSeconds = secondsOf([&] { patcher->attributionScores(0, {}, &cells); });
    std::printf(
        "EAP per position       %7.2f s = %.2fx EAP (%zu edge-position scores), peak RSS "
        "%.2f GiB\n",
        perPositionSeconds, perPositionSeconds / eapSeconds, cells.size(), peakRssGiB());
    std::vector<uint8_t> keptCells;
    for (uint8_t k : kept)
        keptCells.insert(keptCells.end(), static_cast<size_t>(o.tokens), k);
    const double cellSeconds = secondsOf([&] { patcher->evaluateAtPositions(keptCells); });
    std::printf("evaluation by cells    %7.2f s = %.2fx the evaluation by edges\n", cellSeconds,
                cellSeconds / evalSeconds);
}

void discoveryOnDemo(int pairCount, double threshold) {
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
    const int64_t acdcForwards = circuit.parameters["forwards"].get<int64_t>();
    const double exactSeconds = secondsOf([&] { circuit = exactEdgeScores(patcher); });
    const int64_t exactForwards = circuit.parameters["forwards"].get<int64_t>();
    const double perForward = exactSeconds / static_cast<double>(exactForwards);
    std::printf(
        "exact on the demo model%7.2f s, %lld single-edge forwards of %d pairs, %.1f ms each "
        "= %.2fx ACDC's %.1f ms\n",
        exactSeconds, static_cast<long long>(exactForwards), pairCount, 1e3 * perForward,
        perForward / (seconds / static_cast<double>(acdcForwards)),
        1e3 * seconds / static_cast<double>(acdcForwards));
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const Options options = parseOptions(argc, argv);
    const int threads = capture::configureRuntime();
    at::manual_seed(0);
    std::printf("threads                %d\n", threads);
    try {
        attribution(options);
        if (options.acdc && options.model.empty())
            discoveryOnDemo(options.acdcPairs, options.acdcThreshold);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_edge_attribution: %s\n", e.what());
        return 1;
    }
    return 0;
}
