// `attnscope-cli batch EXPERIMENT`: runs an experiment file headless (app/core's runBatch), one
// process or one rank of `mpirun -n N` / `srun`.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "attnscope/app/batch.h"
#include "attnscope/app/mpi_world.h"
#include "attnscope/plugins/plugin_host.h"
#include "batch_progress.h"
#include "commands.h"
#include "common_options.h"

namespace attnscope::app {
namespace {

// Exit codes besides 0 (success), 1 (other errors), 2 (usage) and 130 (interrupted).
constexpr int kExitBadExperiment = 3;
constexpr int kExitMissingInput = 4;
constexpr int kExitItemsFailed = 5;

BatchProgressMode progressMode(const CliArgs& args) {
    const auto v = args.value("--progress");
    if (!v) return isatty(STDERR_FILENO) ? BatchProgressMode::Bar : BatchProgressMode::Json;
    if (*v == "bar") return BatchProgressMode::Bar;
    if (*v == "json") return BatchProgressMode::Json;
    if (*v == "none") return BatchProgressMode::None;
    throw UsageError("--progress must be bar, json or none, got '" + *v + "'");
}

// A plugin metric the experiment names but that did not load: say why it did not.
std::string withPluginLoadErrors(const std::string& message) {
    std::string out = message;
    if (message.find(plugins::kPluginPrefix) == std::string::npos) return out;
    for (const auto& r : plugins::PluginHost::instance().plugins())
        if (!r.loaded) out += "\nnot loaded: " + r.error;
    return out;
}

int exitCodeOf(const ExperimentError& e) {
    return e.kind() == ExperimentError::Kind::BadFile ? kExitBadExperiment : kExitMissingInput;
}

}  // namespace

int runBatchCommand(const std::vector<std::string>& rawArgs, std::istream&, std::ostream& out,
                    std::ostream& err) {
    // The one positional argument: the experiment file.
    std::vector<std::string> options;
    std::string experimentPath;
    for (size_t i = 0; i < rawArgs.size(); ++i) {
        const bool valued = rawArgs[i] == "--out" || rawArgs[i] == "--progress" ||
                            rawArgs[i] == "--threads" || rawArgs[i] == "--dtype" ||
                            rawArgs[i] == "--device";
        if (rawArgs[i].rfind("--", 0) == 0) {
            options.push_back(rawArgs[i]);
            if (valued && i + 1 < rawArgs.size()) options.push_back(rawArgs[++i]);
        } else if (experimentPath.empty()) {
            experimentPath = rawArgs[i];
        } else {
            throw UsageError("one experiment file, got '" + experimentPath + "' and '" +
                             rawArgs[i] + "'");
        }
    }
    if (experimentPath.empty()) throw UsageError("the experiment file is required");
    const CliArgs args(options, {"--out", "--progress", "--threads", "--dtype", "--device"},
                       {"--resume"});
    const BatchProgressMode mode = progressMode(args);
    const capture::LoadOptions load = loadOptionsFromArgs(args);

    const BatchComm comm = mpiWorld();
    BatchPlan plan;
    try {
        plan = planBatch(readExperimentFile(experimentPath), load);
    } catch (const ExperimentError& e) {
        if (comm.rank == 0) err << "error: " << withPluginLoadErrors(e.what()) << "\n";
        return exitCodeOf(e);
    }
    const std::filesystem::path outPath = args.value("--out").value_or(
        std::filesystem::path(experimentPath).stem().string() + ".results.h5");

    BatchProgress display(mode, out, err, comm.rank);
    BatchOptions o;
    o.out = outPath;
    o.resume = args.flag("--resume");
    o.load = load;
    o.progress = display.progress();
    o.comm = comm;
    o.started = [&](const BatchOutcome& counts, int todo) {
        display.started(counts, todo, comm.size);
    };
    o.itemFinished = [&](const ItemRecord& r, int done, int todo) {
        display.itemFinished(r, done, todo);
    };
    o.warning = [&](const std::string& message) { err << "warning: " << message << "\n"; };
    // Test hook for the kill-and-resume tests: a deterministic SIGKILL after k committed items.
    if (const char* k = std::getenv("ATTNSCOPE_BATCH_KILL_AFTER")) o.killAfterItems = std::atoi(k);

    BatchOutcome outcome;
    try {
        outcome = runBatch(plan, o);
    } catch (const ExperimentError& e) {
        err << "error: " << e.what() << "\n";
        return exitCodeOf(e);
    }
    display.finished(outcome, outPath.string());
    if (outcome.interrupted) return 130;
    return outcome.failed > 0 ? kExitItemsFailed : 0;
}

}  // namespace attnscope::app
