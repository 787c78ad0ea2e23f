// Per-head activation patching sweep (site z, noising, all positions) on a GPT-2-small-shaped
// random model at 32 tokens: every head's variant stacked on the batch axis (in chunks of
// `chunk` rows) against one forward per head, timed interleaved in one run. Both sweeps give
// the same values (checked here); the ratio is the gain of batching.
//   bench_patching [tokens=32] [chunk=0 (all 144 variants in one forward)] [repeats=3]
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

#include "../bench_model.h"
#include "../bench_timing.h"

using namespace attnscope;
using namespace attnscope::analysis::circuits;

using attnscope::bench::secondsOf;

int main(int argc, char** argv) {
    const int threads = capture::configureRuntime();
    const int64_t T = argc > 1 ? std::atoll(argv[1]) : 32;
    const int64_t chunk = argc > 2 ? std::atoll(argv[2]) : 0;
    const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
    at::manual_seed(0);
    auto model = bench::randomGpt2Small();
    const capture::ModelConfig& config = model->config();
    PromptPair pair;
    const at::Tensor ids = at::randint(0, config.vocabSize, {T}, at::kLong);
    pair.clean.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + T);
    pair.corrupted = pair.clean;
    pair.corrupted[static_cast<size_t>(T / 2)] =
        (pair.corrupted[static_cast<size_t>(T / 2)] + 1) % config.vocabSize;
    pair.answer = 11;
    pair.wrong = 12;

    PatchingOptions batched;
    batched.maxBatch = chunk;
    PatchingOptions single;
    single.maxBatch = 1;
    PatchingResult a, b;
    a = activationPatchingSweep(*model, {pair}, batched);  // warm-up
    std::vector<double> batchedSeconds, singleSeconds;
    for (int i = 0; i < repeats; ++i) {
        batchedSeconds.push_back(
            secondsOf([&] { a = activationPatchingSweep(*model, {pair}, batched); }));
        singleSeconds.push_back(
            secondsOf([&] { b = activationPatchingSweep(*model, {pair}, single); }));
    }
    double maxDiff = 0;
    for (size_t l = 0; l < a.values.size(); ++l)
        for (size_t h = 0; h < a.values[l].size(); ++h)
            maxDiff = std::max(maxDiff, std::abs(a.values[l][h] - b.values[l][h]));
    const double bb = *std::min_element(batchedSeconds.begin(), batchedSeconds.end());
    const double sb = *std::min_element(singleSeconds.begin(), singleSeconds.end());
    std::printf("threads %d, GPT-2-small shape (12 x 12 heads), %lld tokens, site z, noising\n",
                threads, static_cast<long long>(T));
    std::printf("batched sweep (%s)      best %.3f s  (%lld forwards)\n",
                chunk > 0 ? (std::to_string(chunk) + " rows a forward").c_str() : "one forward", bb,
                static_cast<long long>(a.forwards));
    std::printf("one forward per head       best %.3f s  (%lld forwards)\n", sb,
                static_cast<long long>(b.forwards));
    std::printf("per-head / batched         %.2fx   (max |difference| of values %.2e)\n", sb / bb,
                maxDiff);
    return maxDiff < 1e-3 ? 0 : 1;
}
