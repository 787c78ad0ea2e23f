// Prints, for a retrieval_score batch over the demo model's needle prompts:
//  - the bare analysis: Session::score on each prompt in a loop (no batch machinery);
//  - runBatch in this process (plan, per-item commits, merge, summaries): the per-item overhead
//    against the bare call, with its limit;
//  - `attnscope-cli batch` as one process and under `mpirun -n 2`: items per second, process
//    start and model loading included, and the 2-rank speed-up.
// Usage: bench_batch [items, default 40] [threads per rank, default 1] [rounds, default 3]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../bench_timing.h"
#include "attnscope/app/batch.h"
#include "attnscope/capture/runtime_settings.h"

namespace {

namespace fs = std::filesystem;
using namespace attnscope;

double timeCommand(const std::string& command) {
    return bench::secondsOf([&] {
        if (std::system(command.c_str()) != 0) {
            std::fprintf(stderr, "failed: %s\n", command.c_str());
            std::exit(1);
        }
    });
}

}  // namespace

int main(int argc, char** argv) {
    const int items = argc > 1 ? std::atoi(argv[1]) : 40;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
    capture::configureRuntime(threads);
    const fs::path model = fs::path(ATTNSCOPE_RESOURCES_DIR) / "models" / "demo";
    const fs::path dir =
        fs::temp_directory_path() / ("attnscope-bench-batch-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path exp = dir / "exp.yaml";
    std::ofstream(exp) << "models: [" << model.string() << "]\n"
                       << "datasets:\n  - file: " << (model / "eval" / "needle.jsonl").string()
                       << "\n    limit: " << items << "\nanalyses:\n  - metric: retrieval_score\n";

    // The bare analysis (one call per prompt on an opened session) and the same items through
    // runBatch (model load, per-item journal commits and the final results file included),
    // interleaved over `rounds` so that both see the same load; the best round of each counts.
    const app::BatchPlan plan = app::planBatch(app::readExperimentFile(exp));
    app::Session session(model);
    bench::Timing bareTimes, batchTimes;
    for (int round = 0; round < rounds; ++round) {
        bareTimes.seconds.push_back(bench::secondsOf([&] {
            for (const app::BatchItem& item : plan.items) {
                app::ScoreRequest request;
                request.metric = "retrieval_score";
                request.itemsJson = {item.input.fieldsJson};
                session.score(request);
            }
        }));
        app::BatchOptions options;
        options.out = dir / "inprocess.h5";
        batchTimes.seconds.push_back(bench::secondsOf([&] { app::runBatch(plan, options); }));
    }
    const double bare = bareTimes.best() / items;
    const double batched = batchTimes.best() / items;
    const double overhead = batched - bare;
    const double limit = 0.5;  // of the bare call's time
    std::printf("bare retrieval_score call:        %8.2f ms/item\n", bare * 1e3);
    std::printf("runBatch in process:              %8.2f ms/item\n", batched * 1e3);
    std::printf("per-item overhead:                %8.2f ms = %.2f x bare (limit %.2f) %s\n",
                overhead * 1e3, overhead / bare, limit, overhead / bare <= limit ? "ok" : "OVER");

    const std::string cli = std::string(ATTNSCOPE_CLI) + " batch " + exp.string() +
                            " --progress=none --threads " + std::to_string(threads) + " --out ";
    const double one = timeCommand(cli + (dir / "one.h5").string());
    std::printf("attnscope-cli batch, 1 process:   %8.2f items/s (%.2f s)\n", items / one, one);
    if (std::system("command -v mpirun > /dev/null") == 0) {
        const double two = timeCommand("mpirun --allow-run-as-root --oversubscribe -n 2 " + cli +
                                       (dir / "two.h5").string());
        std::printf("mpirun -n 2:                      %8.2f items/s (%.2f s), %.2f x 1 process\n",
                    items / two, two, one / two);
    } else {
        std::printf("mpirun -n 2:                      mpirun not installed\n");
    }
    fs::remove_all(dir);
    return 0;
}
