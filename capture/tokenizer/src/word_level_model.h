#pragma once
// WordLevel: every word is looked up whole; unknown words become the unknown token.
#include <optional>
#include <string>

#include "token_model.h"

namespace attnscope::capture::detail {

class WordLevelModel : public TokenModel {
public:
    /// Throws TokenizerError if `unkToken` is given but not in the vocabulary.
    WordLevelModel(Vocabulary vocabulary, std::optional<std::string> unkToken);

    void tokenize(std::string_view word, std::vector<ModelToken>& out) const override;
    const Vocabulary& vocabulary() const override { return m_vocabulary; }
    std::optional<int32_t> unkId() const override { return m_unkId; }

private:
    Vocabulary m_vocabulary;
    std::optional<int32_t> m_unkId;
};

}  // namespace attnscope::capture::detail
