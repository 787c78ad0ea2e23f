#pragma once
// Added and special tokens, matched in the raw text before normalization and pre-tokenization.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnscope::capture::detail {

struct AddedToken {
    std::string content;
    int64_t id = 0;
    bool special = false;
    bool lstrip = false;      // also swallow whitespace before the token
    bool rstrip = false;      // also swallow whitespace after the token
    bool singleWord = false;  // only match where it is not inside a word
};

class AddedTokens {
public:
    AddedTokens() = default;
    explicit AddedTokens(std::vector<AddedToken> tokens);

    struct Match {
        size_t begin;  // including whitespace swallowed by lstrip
        size_t end;    // including whitespace swallowed by rstrip
        size_t contentBegin;
        size_t contentEnd;
        const AddedToken* token;
    };
    /// Leftmost-longest, non-overlapping matches in valid UTF-8 text.
    void findAll(std::string_view text, bool includeSpecial, std::vector<Match>& matches) const;

    const AddedToken* byId(int64_t id) const;
    const AddedToken* byContent(std::string_view content) const;
    const std::vector<AddedToken>& all() const { return m_tokens; }

private:
    std::vector<AddedToken> m_tokens;
    std::unordered_map<int64_t, size_t> m_byId;
    std::unordered_map<std::string, size_t> m_byContent;
    std::array<std::vector<size_t>, 256> m_byFirstByte;  // longest first
};

}  // namespace attnscope::capture::detail
