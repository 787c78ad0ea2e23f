#pragma once
// The loaders behind Tokenizer's factory functions. Errors name the file and the problem.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer_pipeline.h"

namespace attnscope::capture::detail {

/// The whole file; throws TokenizerError if it cannot be read.
std::string readWholeFile(const std::filesystem::path& file);

/// A tokenizer.json document; `source` names it in errors. BOS/EOS are not inferred yet.
std::unique_ptr<TokenizerPipeline> loadTokenizerJson(std::string_view json,
                                                     const std::string& source);

/// GPT-2's vocab.json + merges.txt. BOS/EOS are not inferred yet.
std::unique_ptr<TokenizerPipeline> loadVocabAndMerges(const std::filesystem::path& vocab,
                                                      const std::filesystem::path& merges);

/// Applies DIR/tokenizer_config.json (add_bos_token, add_eos_token, bos_token, eos_token) and
/// DIR/config.json (bos_token_id, eos_token_id), then infers BOS/EOS.
void applyModelFolderConfig(TokenizerPipeline& pipeline, const std::filesystem::path& dir);

}  // namespace attnscope::capture::detail
