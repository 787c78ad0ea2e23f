#include "normalizers.h"

#include "utf8.h"

namespace attnscope::capture::detail {

bool isUnicodeWhitespace(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

void SequenceNormalizer::normalize(AlignedText& text) const {
    for (const auto& step : m_steps)
        step->normalize(text);
}

void PrependNormalizer::normalize(AlignedText& text) const {
    if (text.text.empty()) return;
    const uint32_t at = text.origin.front().begin;
    AlignedText result;
    result.append(m_prefix, {at, at});
    result.appendFrom(text, 0, text.text.size());
    text = std::move(result);
}

void ReplaceNormalizer::normalize(AlignedText& text) const {
    std::vector<PieceRange> matches;
    m_pattern->findAll(text.text, matches);
    if (matches.empty()) return;
    AlignedText result;
    size_t pos = 0;
    for (const PieceRange& match : matches) {
        result.appendFrom(text, pos, match.begin);
        result.append(m_content, text.originOf(match.begin, match.end));
        pos = match.end;
    }
    result.appendFrom(text, pos, text.text.size());
    text = std::move(result);
}

void StripNormalizer::normalize(AlignedText& text) const {
    const std::string_view view = text.text;
    size_t begin = 0;
    size_t end = view.size();
    if (m_left) {
        while (begin < end) {
            size_t next = begin;
            if (!isUnicodeWhitespace(decodeUtf8(view, next))) break;
            begin = next;
        }
    }
    if (m_right) {
        while (end > begin) {
            size_t charStart = end - 1;
            while (charStart > begin &&
                   isContinuationByte(static_cast<unsigned char>(view[charStart])))
                --charStart;
            size_t next = charStart;
            if (!isUnicodeWhitespace(decodeUtf8(view, next))) break;
            end = charStart;
        }
    }
    if (begin == 0 && end == view.size()) return;
    AlignedText result;
    result.appendFrom(text, begin, end);
    text = std::move(result);
}

namespace {

uint32_t toLower(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE && c != 0xD7) return c + 32;                 // Latin-1 À-Þ except ×
    if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;  // Latin Extended-A pairs
    if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
    if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;  // Greek
    if (c >= 0x400 && c <= 0x40F) return c + 80;                // Cyrillic Ѐ-Џ
    if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic А-Я
    return c;
}

}  // namespace

void LowercaseNormalizer::normalize(AlignedText& text) const {
    AlignedText result;
    result.text.reserve(text.text.size());
    result.origin.reserve(text.text.size());
    const std::string_view view = text.text;
    size_t pos = 0;
    std::string encoded;
    while (pos < view.size()) {
        const size_t start = pos;
        const uint32_t lower = toLower(decodeUtf8(view, pos));
        encoded.clear();
        appendUtf8(encoded, lower);
        if (encoded.size() == pos - start) {
            // Same length (always so in the ranges above): keep byte-exact alignment.
            result.text += encoded;
            result.origin.insert(result.origin.end(),
                                 text.origin.begin() + static_cast<std::ptrdiff_t>(start),
                                 text.origin.begin() + static_cast<std::ptrdiff_t>(pos));
        } else {
            result.append(encoded, text.originOf(start, pos));
        }
    }
    text = std::move(result);
}

}  // namespace attnscope::capture::detail
