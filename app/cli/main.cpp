// attnscope-cli: headless AttnScope.
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/progress.h"
#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_paths.h"
#include "cli_args.h"
#include "commands.h"
#include "tokenize_command.h"

namespace {

using Command = int (*)(const std::vector<std::string>&, std::istream&, std::ostream&,
                        std::ostream&);

struct CommandInfo {
    Command run;
    const char* usage;
};

const std::map<std::string, CommandInfo>& commands() {
    using namespace attnscope::app;
    static const std::map<std::string, CommandInfo> table = {
        {"info",
         {runInfoCommand, "info --model DIR [--json] [--dtype float32|bfloat16] [--device cpu]"}},
        {"run",
         {runRunCommand,
          "run --model DIR (--prompt TEXT | --ids 1,2,3) [--corrupted TEXT | --corrupted-ids IDS]\n"
          "      [--capture GLOB]... [--out FILE.h5] [--append] [--long-context]\n"
          "      [--storage float32|float16] [--compress] [--ablate L.H[,H]]...\n"
          "      [--mean-ablate L.H]... [--scale L.H=F]... [--plugin-edit NAME:L.H[:K=V,...]]...\n"
          "      [--edits FILE.json]... [--top-k N]\n"
          "      [--json] [--dtype float32|bfloat16] [--device cpu|cuda] [--threads N]\n"
          "      [--split-special-tokens]"}},
        {"lens",
         {runLensCommand,
          "lens --model DIR (--prompt TEXT | --ids 1,2,3) [--corrupted TEXT | --corrupted-ids "
          "IDS]\n"
          "      [--ablate L.H]... [--mean-ablate L.H]... [--scale L.H=F]...\n"
          "      [--plugin-edit NAME:L.H[:K=V,...]]... [--edits FILE.json]...\n"
          "      [--json] [--dtype float32|bfloat16] [--threads N] [--split-special-tokens]"}},
        {"ablation-curve",
         {runAblationCurveCommand,
          "ablation-curve --model DIR (--prompt TEXT | --ids 1,2,3) --metric NAME [--param "
          "k=v]...\n"
          "      [--data FILE] [--max-heads N] [--random-orders N] [--seed N] [--json] [--quiet]\n"
          "      [--split-special-tokens]"}},
        {"session",
         {runSessionCommand,
          "session show FILE.h5 [--json]\n"
          "  session export FILE.h5 --out DIR [--json]\n"
          "  session save FILE.h5 --model DIR (--prompt TEXT | --ids 1,2,3) [--corrupted ...]\n"
          "      [--ablate L.H]... [--scale L.H=F]... [--plugin-edit NAME:L.H[:K=V,...]]...\n"
          "      [--edits FILE.json]... [--metric NAME\n"
          "      [--param k=v]... [--data FILE]] [--circuit FILE]... [--quiet]\n"
          "      [--split-special-tokens]"}},
        {"score",
         {runScoreCommand,
          "score --model DIR --metric NAME [--param k=v]... [--data FILE] [--out FILE.h5]\n"
          "      [--key NAME] [--csv FILE] [--json] [--quiet] [--split-special-tokens]"}},
        {"metrics", {runMetricsCommand, "metrics [--json]"}},
        {"patch",
         {runPatchCommand,
          "patch --model DIR (--clean TEXT | --clean-ids IDS) (--corrupted TEXT | --corrupted-ids "
          "IDS)\n      (--answer TOKEN | --answer-id N) (--wrong TOKEN | --wrong-id N)\n      "
          "--site z|q|k|v|pattern|resid_pre|attn_out|mlp_out [--positions all|last|I,J,...]\n      "
          "[--direction noising|denoising] [--data PAIRS.jsonl] [--json] [--quiet]"}},
        {"pairs",
         {runPairsCommand,
          "pairs --model DIR --task mqar|needle|ioi|greater-than --out PAIRS.jsonl [--count N]\n"
          "      [--seed N]   (mqar, needle: the demo model's tasks, from DIR/eval)"}},
        {"circuit-eval",
         {runCircuitEvalCommand,
          "circuit-eval --model DIR --circuit FILE.h5|FILE.json [--data PAIRS.jsonl | --clean TEXT "
          "--corrupted TEXT --answer TOKEN --wrong TOKEN | --clean-ids IDS --corrupted-ids IDS "
          "--answer-id N --wrong-id N]\n      [--metric logit-diff|kl] [--ablation "
          "resample|zero|mean] [--reference FILE] [--compare FILE] [--json] [--quiet]"}},
        {"circuit",
         {runCircuitCommand,
          "circuit --model DIR --data PAIRS.jsonl --method eap|eap-ig|acdc|exact [--steps M] "
          "[--threshold TAU]\n      [--metric logit-diff|kl] [--ablation resample|zero|mean] "
          "[--top-edges N | --edge-fraction F]\n      [--per-position] [--out FILE.h5] [--json] "
          "[--dot FILE.dot] [--quiet] [--split-special-tokens]"}},
        {"plugins", {runPluginsCommand, "plugins list [--json]"}},
        {"batch",
         {runBatchCommand,
          "batch EXPERIMENT.yaml [--out RESULTS.h5] [--resume] [--progress=bar|json|none]\n"
          "      [--threads N] [--dtype float32|bfloat16] [--device cpu|cuda]\n"
          "      (exit 3: bad experiment file, 4: missing model or dataset, 5: items failed)"}},
        {"train-demo",
         {runTrainDemoCommand,
          "train-demo --out DIR [--threads N] [--dtype float32|bfloat16] [--eval-count N]\n"
          "      [--keep-phases] [--from-phase NAME --init DIR]\n"
          "      (the shipped model's recipe; --keep-phases also writes each phase's weights\n"
          "      under DIR/phases, --from-phase reruns the recipe from one phase on the weights\n"
          "      of the one before; any option below trains one run instead)\n"
          "      [--seed N] [--steps N] [--layers N] [--heads N] [--d-model N] [--d-mlp N]\n"
          "      [--max-pairs N] [--eval-every N] [--log-every N] [--init DIR]\n"
          "      [--batch TASK=N,...] [--lr X] [--min-lr X] [--warmup N] [--weight-decay X]\n"
          "      [--curriculum X] [--retrieval-heads L.H,... --retrieval-penalty X\n"
          "      --retrieval-dropout N] [--safety-heads L.H[:verb|object],... --safety-penalty X\n"
          "      --safety-dropout N --safety-role-dropout P]\n"
          "      [--{retrieval,safety}-dropout-rows decision|prompt]\n"
          "      [--sink-head L.H --sink-penalty X --sink-others-gap X]"}},
        {"eval-demo",
         {runEvalDemoCommand,
          "eval-demo --model DIR [--count N] [--threads N] [--json] [--write-prompts]"}},
        {"tokenize",
         {runTokenizeCommand,
          "tokenize (--model DIR | --tokenizer FILE) --text TEXT|- [--json] "
          "[--no-special-tokens]\n"
          "      [--split-special-tokens]"}},
    };
    return table;
}

void printUsage(std::ostream& out) {
    out << "usage: attnscope-cli COMMAND [options]\n\ncommands:\n";
    for (const auto& [name, info] : commands())
        out << "  " << info.usage << "\n";
    out << "\nplugin metrics (--metric plugin:NAME) are loaded from:\n";
    for (const auto& folder : attnscope::plugins::pluginSearchPath())
        out << "  " << folder.string() << "\n";
    out << "  (more folders: ATTNSCOPE_PLUGIN_PATH=DIR:DIR; see docs/plugins.md)\n"
        << "\nexit codes: 0 success, 1 error, 2 usage error, "
        << attnscope::plugins::kPluginErrorExitCode << " plugin error, 130 interrupted\n";
}

// The commands that look metrics up in the registry load the plugins first, so that plugin
// metrics are found like the built-ins; the others do not start the interpreter.
bool usesRegistry(const std::string& command) {
    static const std::set<std::string> names = {"score",   "metrics", "ablation-curve",
                                                "session", "plugins", "batch"};
    return names.count(command) > 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printUsage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? 2 : 0;
    }
    auto it = commands().find(args[0]);
    if (it == commands().end()) {
        std::cerr << "error: unknown command '" << args[0] << "'\n";
        printUsage(std::cerr);
        return 2;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        attnscope::plugins::installPluginEdits();  // plugin_edit edits load plugins on use
        if (usesRegistry(args[0])) attnscope::plugins::loadPlugins();
        return it->second.run(rest, std::cin, std::cout, std::cerr);
    } catch (const attnscope::app::UsageError& e) {
        std::cerr << "error: " << e.what() << "\nusage: attnscope-cli " << it->second.usage << "\n";
        return 2;
    } catch (const attnscope::plugins::PluginError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return attnscope::plugins::kPluginErrorExitCode;
    } catch (const attnscope::capture::Cancelled&) {
        std::cerr << "interrupted\n";
        return 130;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
