#include "decoders.h"

#include "byte_level_table.h"
#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

std::string replaceAll(const std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) return text;
    std::string result;
    size_t pos = 0;
    while (true) {
        const size_t found = text.find(from, pos);
        if (found == std::string::npos) break;
        result.append(text, pos, found - pos);
        result.append(to);
        pos = found + from.size();
    }
    result.append(text, pos, std::string::npos);
    return result;
}

std::string joined(const std::vector<std::string>& tokens) {
    std::string all;
    for (const std::string& token : tokens)
        all += token;
    return all;
}

}  // namespace

void SequenceDecoder::decode(std::vector<std::string>& tokens) const {
    for (const auto& step : m_steps)
        step->decode(tokens);
}

void ByteLevelDecoder::decode(std::vector<std::string>& tokens) const {
    tokens = {ByteLevelTable::instance().toBytes(joined(tokens))};
}

void MetaspaceDecoder::decode(std::vector<std::string>& tokens) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
        const bool dropInFirst = i == 0 && m_scheme != PrependScheme::Never;
        tokens[i] = replaceAll(tokens[i], m_replacement, dropInFirst ? "" : " ");
    }
}

void ReplaceDecoder::decode(std::vector<std::string>& tokens) const {
    std::vector<PieceRange> matches;
    for (std::string& token : tokens) {
        matches.clear();
        m_pattern->findAll(token, matches);
        if (matches.empty()) continue;
        std::string result;
        size_t pos = 0;
        for (const PieceRange& match : matches) {
            result.append(token, pos, match.begin - pos);
            result += m_content;
            pos = match.end;
        }
        result.append(token, pos, std::string::npos);
        token = std::move(result);
    }
}

std::optional<unsigned char> ByteFallbackDecoder::byteOfToken(std::string_view token) {
    if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return std::nullopt;
    unsigned value = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = token[i];
        unsigned digit = 0;
        if (c >= '0' && c <= '9')
            digit = static_cast<unsigned>(c - '0');
        else if (c >= 'A' && c <= 'F')
            digit = static_cast<unsigned>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f')
            digit = static_cast<unsigned>(c - 'a' + 10);
        else
            return std::nullopt;
        value = value * 16 + digit;
    }
    return static_cast<unsigned char>(value);
}

void ByteFallbackDecoder::decode(std::vector<std::string>& tokens) const {
    std::vector<std::string> result;
    std::string pendingBytes;
    size_t pendingCount = 0;
    const auto flush = [&] {
        if (pendingCount == 0) return;
        if (!findInvalidUtf8(pendingBytes)) {
            result.push_back(pendingBytes);
        } else {
            for (size_t i = 0; i < pendingCount; ++i)
                result.emplace_back("\xEF\xBF\xBD");
        }
        pendingBytes.clear();
        pendingCount = 0;
    };
    for (std::string& token : tokens) {
        if (const auto byte = byteOfToken(token)) {
            pendingBytes.push_back(static_cast<char>(*byte));
            ++pendingCount;
        } else {
            flush();
            result.push_back(std::move(token));
        }
    }
    flush();
    tokens = std::move(result);
}

void FuseDecoder::decode(std::vector<std::string>& tokens) const {
    tokens = {joined(tokens)};
}

void StripDecoder::decode(std::vector<std::string>& tokens) const {
    if (m_content.empty()) return;
    for (std::string& token : tokens) {
        std::string_view view = token;
        for (size_t i = 0; i < m_start && view.substr(0, m_content.size()) == m_content; ++i)
            view.remove_prefix(m_content.size());
        for (size_t i = 0; i < m_stop && view.size() >= m_content.size() &&
                           view.substr(view.size() - m_content.size()) == m_content;
             ++i)
            view.remove_suffix(m_content.size());
        token = std::string(view);
    }
}

void BpeSuffixDecoder::decode(std::vector<std::string>& tokens) const {
    for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = replaceAll(tokens[i], m_suffix, i + 1 == tokens.size() ? "" : " ");
}

}  // namespace attnscope::capture::detail
