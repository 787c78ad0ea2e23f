#pragma once
// A model folder opened for use: the runtime model plus its tokenizer, if it has one.
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/capture/model_loader.h"

namespace attnscope::capture {
class TransformerModel;
class Tokenizer;
}  // namespace attnscope::capture

namespace attnscope::app {

struct OpenedModel {
    std::filesystem::path dir;
    std::shared_ptr<capture::TransformerModel> model;
    std::shared_ptr<const capture::Tokenizer> tokenizer;  ///< null when the folder has none
    capture::ComputeDType dtype = capture::ComputeDType::Float32;
};

/// Loads the model and, when present, its tokenizer (tokenizer.json or vocab.json+merges.txt).
OpenedModel openModel(const std::filesystem::path& dir, const capture::LoadOptions& options = {});

/// Token ids with what the GUI and the capture file show about them.
struct PromptTokens {
    std::string text;  ///< empty when given as ids
    std::vector<int64_t> ids;
    std::vector<std::string> tokens;              ///< display strings
    std::vector<std::array<int64_t, 2>> offsets;  ///< character spans; [-1,-1] when unknown
};

/// Encodes `text` with the model's tokenizer (BOS as the tokenizer's post-processor says).
/// Throws InputError when the model has no tokenizer.
PromptTokens encodePrompt(const OpenedModel& opened, const std::string& text);
/// Wraps given ids; token strings come from the tokenizer when there is one.
PromptTokens promptFromIds(const OpenedModel& opened, std::vector<int64_t> ids);
/// Parses "1,2,3" into ids; throws InputError naming the bad entry.
std::vector<int64_t> parseIdList(const std::string& text);

}  // namespace attnscope::app
