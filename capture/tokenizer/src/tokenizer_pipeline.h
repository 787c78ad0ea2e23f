#pragma once
// Everything a loaded tokenizer consists of; loaders fill it, Tokenizer runs it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "added_tokens.h"
#include "decoders.h"
#include "normalizers.h"
#include "pre_tokenizers.h"
#include "token_model.h"

namespace attnscope::capture::detail {

struct SpecialTokenRef {
    int64_t id = 0;
    std::string token;
};

/// What the post-processor adds around a single sequence when special tokens are requested.
struct PostTemplate {
    std::vector<SpecialTokenRef> prefix;  // e.g. BOS
    std::vector<SpecialTokenRef> suffix;  // e.g. EOS
};

/// How raw vocabulary strings are made readable for the GUI.
struct DisplayStyle {
    bool byteLevel = false;   // GPT-2 byte characters ("Ġ" is a space)
    std::string spaceMarker;  // e.g. "▁" for SentencePiece vocabularies
};

struct TokenizerPipeline {
    std::unique_ptr<Normalizer> normalizer;      // may be null
    std::unique_ptr<PreTokenizer> preTokenizer;  // may be null: the whole text is one word
    std::unique_ptr<TokenModel> model;
    std::unique_ptr<Decoder> decoder;  // may be null: tokens are joined with spaces
    AddedTokens addedTokens;
    PostTemplate postTemplate;
    std::optional<int64_t> bosId;
    std::optional<int64_t> eosId;
    DisplayStyle display;
    bool splitSpecialTokens = false;  // see Tokenizer::setSplitSpecialTokens

    /// The token string of an id (added tokens first), or nullptr if no token has that id.
    const std::string* tokenOf(int64_t id) const;
};

/// Fills bosId/eosId where not set: from the post-processor template, else from a model
/// configuration's ids, else from the usual names of special added tokens.
void inferBosEos(TokenizerPipeline& pipeline, std::optional<int64_t> configBos = std::nullopt,
                 std::optional<int64_t> configEos = std::nullopt);

}  // namespace attnscope::capture::detail
