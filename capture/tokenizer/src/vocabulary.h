#pragma once
// Token string <-> id table of a model.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace attnscope::capture::detail {

class Vocabulary {
public:
    Vocabulary() = default;
    /// Throws TokenizerError (without a file name; loaders add it) for negative, huge or
    /// repeated ids.
    explicit Vocabulary(std::vector<std::pair<std::string, int64_t>> entries);
    // The lookup map holds views into m_tokens: moving keeps them valid, copying would not.
    Vocabulary(Vocabulary&&) = default;
    Vocabulary& operator=(Vocabulary&&) = default;
    Vocabulary(const Vocabulary&) = delete;
    Vocabulary& operator=(const Vocabulary&) = delete;

    std::optional<int32_t> find(std::string_view token) const {
        const auto it = m_ids.find(token);
        if (it == m_ids.end()) return std::nullopt;
        return it->second;
    }
    /// The token of an id, or nullptr for ids the vocabulary does not use.
    const std::string* tokenOf(int64_t id) const {
        if (id < 0 || id >= static_cast<int64_t>(m_tokens.size()) || !m_used[id]) return nullptr;
        return &m_tokens[static_cast<size_t>(id)];
    }
    /// One past the largest id.
    int64_t size() const { return static_cast<int64_t>(m_tokens.size()); }
    size_t count() const { return m_ids.size(); }

private:
    std::vector<std::string> m_tokens;  // indexed by id
    std::vector<bool> m_used;
    std::unordered_map<std::string_view, int32_t> m_ids;
};

}  // namespace attnscope::capture::detail
