// `attnscope-cli info --model DIR [--json]`: what a model folder holds.
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "commands.h"
#include "common_options.h"

namespace attnscope::app {

int runInfoCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                   std::ostream&) {
    auto valued = modelOptionNames();
    const CliArgs args(argv, valued, {"--json"});
    // Headers only: config.json and the safetensors headers are checked as a load would check
    // them, but no weight is read, so this takes milliseconds for any model size.
    const std::filesystem::path dir = args.required("--model");
    const capture::ComputeDType dtype =
        capture::parseComputeDType(args.value("--dtype").value_or("float32"));
    capture::checkDevice(args.value("--device").value_or("cpu"));
    args.integer("--threads", 0, 0, 1024);  // accepted for symmetry with run; validated only
    const capture::ModelSummary summary = capture::inspectModel(dir);
    const bool hasTokenizer = std::filesystem::exists(dir / "tokenizer.json") ||
                              (std::filesystem::exists(dir / "vocab.json") &&
                               std::filesystem::exists(dir / "merges.txt"));
    // Loaded as openModel() loads it, so that a broken tokenizer is reported here too.
    if (hasTokenizer) capture::Tokenizer::fromModelFolder(dir);
    const auto& c = summary.config;
    nlohmann::ordered_json j{
        {"model", dir.string()},
        {"architecture", c.architecture},
        {"layers", c.nLayers},
        {"heads", c.nHeads},
        {"kv_heads", c.nKvHeads},
        {"d_model", c.dModel},
        {"d_head", c.headDim},
        {"d_mlp", c.dMlp},
        {"vocab", c.vocabSize},
        {"context", c.maxPositions},
        {"params", c.parameterCount()},
        {"dtype", capture::computeDTypeName(dtype)},
        {"checkpoint_dtype", c.torchDtype},
        {"positions", c.positions == capture::PositionKind::Rotary ? "rotary" : "learned"},
        {"tokenizer", hasTokenizer},
        {"fingerprint", summary.fingerprint}};
    if (args.flag("--json")) {
        out << j.dump(2) << "\n";
        return 0;
    }
    for (const auto& [key, value] : j.items())
        out << key << std::string(18 - std::min<std::size_t>(17, key.size()), ' ')
            << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
    return 0;
}

}  // namespace attnscope::app
