#include "vocabulary.h"

#include <algorithm>

#include "attnscope/capture/tokenizer_error.h"

namespace attnscope::capture::detail {

namespace {
// Vocabularies are dense; a stray huge id would otherwise allocate gigabytes.
constexpr int64_t kMaxId = (int64_t{1} << 24) - 1;
constexpr int64_t kAllowedHoles = 65536;
}  // namespace

Vocabulary::Vocabulary(std::vector<std::pair<std::string, int64_t>> entries) {
    int64_t maxId = -1;
    for (const auto& [token, id] : entries) {
        if (id < 0 || id > kMaxId)
            throw TokenizerError("token '" + token + "' has id " + std::to_string(id) +
                                 ", outside 0.." + std::to_string(kMaxId));
        maxId = std::max(maxId, id);
    }
    if (maxId >= 2 * static_cast<int64_t>(entries.size()) + kAllowedHoles)
        throw TokenizerError("vocabulary ids are not dense: largest id " + std::to_string(maxId) +
                             " for " + std::to_string(entries.size()) + " tokens");
    m_tokens.resize(static_cast<size_t>(maxId + 1));
    m_used.assign(static_cast<size_t>(maxId + 1), false);
    for (auto& [token, id] : entries) {
        const auto index = static_cast<size_t>(id);
        if (m_used[index])
            throw TokenizerError("id " + std::to_string(id) + " is used by both '" +
                                 m_tokens[index] + "' and '" + token + "'");
        m_tokens[index] = std::move(token);
        m_used[index] = true;
    }
    m_ids.reserve(entries.size());
    for (size_t id = 0; id < m_tokens.size(); ++id) {
        if (!m_used[id]) continue;
        if (!m_ids.emplace(m_tokens[id], static_cast<int32_t>(id)).second)
            throw TokenizerError("token '" + m_tokens[id] + "' appears twice in the vocabulary");
    }
}

}  // namespace attnscope::capture::detail
