#include "added_tokens.h"

#include <algorithm>

#include "normalizers.h"
#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

bool isWordChar(uint32_t c) {
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    return !isUnicodeWhitespace(c);
}

// The code point that ends just before `pos` (which is at a character boundary).
uint32_t codePointBefore(std::string_view text, size_t pos) {
    size_t start = pos - 1;
    while (start > 0 && isContinuationByte(static_cast<unsigned char>(text[start])))
        --start;
    return decodeUtf8(text, start);
}

}  // namespace

AddedTokens::AddedTokens(std::vector<AddedToken> tokens) : m_tokens(std::move(tokens)) {
    for (size_t i = 0; i < m_tokens.size(); ++i) {
        m_byId.emplace(m_tokens[i].id, i);
        m_byContent.emplace(m_tokens[i].content, i);
        if (!m_tokens[i].content.empty())
            m_byFirstByte[static_cast<unsigned char>(m_tokens[i].content[0])].push_back(i);
    }
    for (auto& candidates : m_byFirstByte)
        std::stable_sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
            return m_tokens[a].content.size() > m_tokens[b].content.size();
        });
}

void AddedTokens::findAll(std::string_view text, bool includeSpecial,
                          std::vector<Match>& matches) const {
    if (m_tokens.empty()) return;
    size_t previousEnd = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const AddedToken* found = nullptr;
        for (size_t index : m_byFirstByte[static_cast<unsigned char>(text[pos])]) {
            const AddedToken& token = m_tokens[index];
            if (token.special && !includeSpecial) continue;
            if (text.compare(pos, token.content.size(), token.content) != 0) continue;
            if (token.singleWord) {
                const size_t end = pos + token.content.size();
                if (pos > 0 && isWordChar(codePointBefore(text, pos))) continue;
                size_t after = end;
                if (end < text.size() && isWordChar(decodeUtf8(text, after))) continue;
            }
            found = &token;
            break;
        }
        if (found == nullptr) {
            ++pos;
            continue;
        }
        Match match{pos, pos + found->content.size(), pos, pos + found->content.size(), found};
        if (found->lstrip) {
            while (match.begin > previousEnd) {
                const uint32_t before = codePointBefore(text, match.begin);
                if (!isUnicodeWhitespace(before)) break;
                size_t start = match.begin - 1;
                while (isContinuationByte(static_cast<unsigned char>(text[start])))
                    --start;
                match.begin = start;
            }
        }
        if (found->rstrip) {
            while (match.end < text.size()) {
                size_t next = match.end;
                if (!isUnicodeWhitespace(decodeUtf8(text, next))) break;
                match.end = next;
            }
        }
        matches.push_back(match);
        previousEnd = match.end;
        pos = match.end;
    }
}

const AddedToken* AddedTokens::byId(int64_t id) const {
    const auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : &m_tokens[it->second];
}

const AddedToken* AddedTokens::byContent(std::string_view content) const {
    const auto it = m_byContent.find(std::string(content));
    return it == m_byContent.end() ? nullptr : &m_tokens[it->second];
}

}  // namespace attnscope::capture::detail
