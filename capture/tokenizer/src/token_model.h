#pragma once
// The model step of a tokenizer: one pre-tokenized word in, token ids out.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "vocabulary.h"

namespace attnscope::capture::detail {

/// A token the model produced, with its [begin, end) byte range inside the word.
struct ModelToken {
    int32_t id;
    uint32_t begin;
    uint32_t end;
};

class TokenModel {
public:
    virtual ~TokenModel() = default;
    /// Appends the tokens of one non-empty word. Throws TokenizerError when a character can be
    /// represented neither by the vocabulary nor by an unknown token.
    virtual void tokenize(std::string_view word, std::vector<ModelToken>& out) const = 0;
    virtual const Vocabulary& vocabulary() const = 0;
    /// The unknown token's id, if the model has one.
    virtual std::optional<int32_t> unkId() const = 0;
};

}  // namespace attnscope::capture::detail
