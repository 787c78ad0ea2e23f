#pragma once
// Options every model-loading command shares: --model, --dtype, --device, --threads.
#include <set>
#include <string>

#include "attnscope/app/opened_model.h"
#include "cli_args.h"

namespace attnscope::app {

/// The valued options opened by openModelFromArgs.
const std::set<std::string>& modelOptionNames();
/// Sets the thread count (--threads, else $ATTNSCOPE_THREADS, else all cores) and returns the
/// load options of --dtype and --device.
capture::LoadOptions loadOptionsFromArgs(const CliArgs& args);
/// Opens --model with loadOptionsFromArgs.
OpenedModel openModelFromArgs(const CliArgs& args);

/// The switch of every command that takes prompt text.
inline constexpr const char* kSplitSpecialTokens = "--split-special-tokens";
/// With --split-special-tokens, gives `opened` a tokenizer that treats special-token strings in
/// every prompt as plain text (Hugging Face's split_special_tokens=True).
void applyTokenizerOptions(const CliArgs& args, OpenedModel& opened);

/// Escapes `s` for a JSON string body.
std::string jsonEscape(const std::string& s);

}  // namespace attnscope::app
