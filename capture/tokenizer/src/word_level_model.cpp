#include "word_level_model.h"

#include "attnscope/capture/tokenizer_error.h"

namespace attnscope::capture::detail {

WordLevelModel::WordLevelModel(Vocabulary vocabulary, std::optional<std::string> unkToken)
    : m_vocabulary(std::move(vocabulary)) {
    if (unkToken) {
        m_unkId = m_vocabulary.find(*unkToken);
        if (!m_unkId)
            throw TokenizerError("unk_token '" + *unkToken + "' is not in the vocabulary");
    }
}

void WordLevelModel::tokenize(std::string_view word, std::vector<ModelToken>& out) const {
    const auto end = static_cast<uint32_t>(word.size());
    if (const auto id = m_vocabulary.find(word)) {
        out.push_back({*id, 0, end});
    } else if (m_unkId) {
        out.push_back({*m_unkId, 0, end});
    } else {
        throw TokenizerError("word '" + std::string(word) +
                             "' is not in the vocabulary and the model has no unk_token");
    }
}

}  // namespace attnscope::capture::detail
