#include "common_options.h"

#include <nlohmann/json.hpp>

#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/tokenizer.h"

namespace attnscope::app {

const std::set<std::string>& modelOptionNames() {
    static const std::set<std::string> names = {"--model", "--dtype", "--device", "--threads"};
    return names;
}

capture::LoadOptions loadOptionsFromArgs(const CliArgs& args) {
    capture::configureRuntime(static_cast<int>(args.integer("--threads", 0, 0, 1024)));
    capture::LoadOptions options;
    if (auto d = args.value("--dtype")) options.dtype = capture::parseComputeDType(*d);
    if (auto d = args.value("--device")) options.device = *d;
    return options;
}

OpenedModel openModelFromArgs(const CliArgs& args) {
    return openModel(args.required("--model"), loadOptionsFromArgs(args));
}

void applyTokenizerOptions(const CliArgs& args, OpenedModel& opened) {
    if (!args.flag(kSplitSpecialTokens) || !opened.tokenizer) return;
    // A tokenizer of its own: the shared one is immutable once handed out.
    auto tokenizer = capture::Tokenizer::fromModelFolder(opened.dir);
    tokenizer->setSplitSpecialTokens(true);
    opened.tokenizer = std::move(tokenizer);
}

std::string jsonEscape(const std::string& s) {
    const std::string quoted =
        nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return quoted.substr(1, quoted.size() - 2);
}

}  // namespace attnscope::app
