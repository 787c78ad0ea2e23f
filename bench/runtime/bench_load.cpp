// Model loading from a warm page cache: load time and resident memory of a zero-copy load
// (weights are views of the mapped safetensors) against a load into owned copies, and the
// forward speed of both (views keep the checkpoint's layout, e.g. GPT-2's transposed Conv1D
// weights). Forwards of the two models are interleaved so that other load on the machine
// hits both alike.
//
//   bench_load MODEL_DIR [TOKENS=512] [float32|bfloat16] [--views-only]
//
// --views-only skips the owned copy (for models that do not fit in memory twice).
//
// Make a model with bench/checkpoints/make_random_checkpoint.py gpt2-small DIR.
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope::capture;

namespace {

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// VmRSS or VmHWM of this process in MB.
double statusMb(const std::string& key) {
    std::ifstream status("/proc/self/status");
    std::string word;
    double kb = 0;
    while (status >> word)
        if (word == key + ":") {
            status >> kb;
            break;
        }
    return kb / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: bench_load MODEL_DIR [TOKENS] [float32|bfloat16] [--views-only]\n");
        return 2;
    }
    const int threads = configureRuntime();
    const std::string dir = argv[1];
    const int64_t T = argc > 2 ? std::atoll(argv[2]) : 512;
    LoadOptions options;
    if (argc > 3) options.dtype = parseComputeDType(argv[3]);
    const bool viewsOnly = argc > 4 && std::string(argv[4]) == "--views-only";
    at::NoGradGuard noGrad;

    const ModelSummary summary = inspectModel(dir);  // also warms the headers' pages
    const double weightsMb = static_cast<double>(summary.weightBytes) / (1 << 20);
    std::printf("threads %d, %s, %.0f MB of weights, T = %lld, %s\n", threads, dir.c_str(),
                weightsMb, static_cast<long long>(T), computeDTypeName(options.dtype).c_str());

    double t0 = now();
    auto mapped = loadModel(dir, options);
    const double mappedLoad = now() - t0;
    const double rssLoaded = statusMb("VmRSS");
    const at::Tensor ids =
        at::arange(T, at::kLong).remainder(summary.config.vocabSize).unsqueeze(0);
    t0 = now();
    mapped->forward(ids);
    const double firstForward = now() - t0;
    std::printf(
        "zero-copy load   %.3f s  RSS %.0f MB after load, %.0f MB after the first "
        "forward (%.3f s, page faults included)\n",
        mappedLoad, rssLoaded, statusMb("VmRSS"), firstForward);

    if (viewsOnly) {
        t0 = now();
        mapped->forward(ids);
        std::printf("second forward   %.3f s\npeak RSS         %.0f MB\n", now() - t0,
                    statusMb("VmHWM"));
        return 0;
    }
    options.writableWeights = true;
    t0 = now();
    auto owned = loadModel(dir, options);
    const double ownedLoad = now() - t0;
    t0 = now();
    owned->forward(ids);
    std::printf("owned load       %.3f s  (copies every weight), first forward %.3f s\n", ownedLoad,
                now() - t0);

    std::vector<double> viewTimes, ownedTimes;
    for (int i = 0; i < 5; ++i) {
        t0 = now();
        mapped->forward(ids);
        viewTimes.push_back(now() - t0);
        t0 = now();
        owned->forward(ids);
        ownedTimes.push_back(now() - t0);
    }
    std::sort(viewTimes.begin(), viewTimes.end());
    std::sort(ownedTimes.begin(), ownedTimes.end());
    std::printf("forward views    best %.4f s  median %.4f s\n", viewTimes[0], viewTimes[2]);
    std::printf("forward owned    best %.4f s  median %.4f s  (views/owned best %.3fx)\n",
                ownedTimes[0], ownedTimes[2], viewTimes[0] / ownedTimes[0]);
    std::printf("peak RSS         %.0f MB (both models)\n", statusMb("VmHWM"));
    return 0;
}
