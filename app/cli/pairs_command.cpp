// `attnscope-cli pairs`: writes a prompt-pair file (JSONL, the ids form that `patch --data`,
// `circuit --data` and `circuit-eval --data` read) from a built-in generator, so that circuit
// work on a new model starts without a hand-written dataset. Reads the model folder's
// tokenizer (and, for the demo tasks, its eval/ files) only; no weights are loaded.
#include <filesystem>
#include <limits>
#include <ostream>

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/tokenizer.h"
#include "cli_args.h"
#include "commands.h"

namespace attnscope::app {

int runPairsCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                    std::ostream&) {
    namespace circuits = analysis::circuits;
    const CliArgs args(argv, {"--model", "--task", "--count", "--seed", "--out"}, {});
    const std::filesystem::path model = args.required("--model");
    const std::string task = args.required("--task");
    const std::filesystem::path file = args.required("--out");
    const int count = static_cast<int>(args.integer("--count", 32, 1, 1000000));
    const auto seed =
        static_cast<uint64_t>(args.integer("--seed", 0, 0, std::numeric_limits<int64_t>::max()));
    if (task != "mqar" && task != "needle" && task != "ioi" && task != "greater-than")
        throw UsageError("--task '" + task + "': expected one of mqar, needle, ioi, greater-than");
    const auto tokenizer = capture::Tokenizer::fromModelFolder(model);
    std::vector<circuits::PromptPair> pairs;
    if (task == "ioi")
        pairs = circuits::ioiPairs(*tokenizer, count, seed);
    else if (task == "greater-than")
        pairs = circuits::greaterThanPairs(*tokenizer, count, seed);
    else
        pairs = circuits::demoTaskPairs(model, task, *tokenizer, count, seed);
    circuits::writePromptPairs(file, pairs);
    out << "wrote " << pairs.size() << " " << task << " pairs to " << file.string() << "\n";
    return 0;
}

}  // namespace attnscope::app
