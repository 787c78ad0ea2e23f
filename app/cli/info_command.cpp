// `attnscope-cli info --model DIR [--json]`: what a model folder holds.
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "commands.h"
#include "common_options.h"

namespace attnscope::app {

int runInfoCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                   std::ostream&) {
    auto valued = modelOptionNames();
    const CliArgs args(argv, valued, {"--json"});
    const OpenedModel opened = openModelFromArgs(args);
    const auto& c = opened.model->config();
    nlohmann::ordered_json j{
        {"model", opened.dir.string()},
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
        {"dtype", capture::computeDTypeName(opened.dtype)},
        {"checkpoint_dtype", c.torchDtype},
        {"positions", c.positions == capture::PositionKind::Rotary ? "rotary" : "learned"},
        {"tokenizer", opened.tokenizer != nullptr},
        {"fingerprint", opened.model->fingerprint()}};
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
