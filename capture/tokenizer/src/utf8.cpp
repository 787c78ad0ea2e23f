#include "utf8.h"

namespace attnscope::capture::detail {

namespace {

// Length of the valid sequence at `pos`, or 0 if the bytes there are not valid UTF-8.
size_t validSequenceLength(std::string_view text, size_t pos) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) return 1;
    const size_t length = utf8Length(lead);
    if (length == 1 || pos + length > text.size()) return 0;
    for (size_t i = 1; i < length; ++i)
        if (!isContinuationByte(byte(pos + i))) return 0;
    const unsigned char second = byte(pos + 1);
    if (length == 2 && lead < 0xC2) return 0;                                        // overlong
    if (length == 3 && lead == 0xE0 && second < 0xA0) return 0;                      // overlong
    if (length == 3 && lead == 0xED && second >= 0xA0) return 0;                     // surrogate
    if (length == 4 && lead == 0xF0 && second < 0x90) return 0;                      // overlong
    if (length == 4 && (lead > 0xF4 || (lead == 0xF4 && second >= 0x90))) return 0;  // > 10FFFF
    return length;
}

}  // namespace

std::optional<size_t> findInvalidUtf8(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        // ASCII fast path: most text is ASCII.
        if (static_cast<unsigned char>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const size_t length = validSequenceLength(text, pos);
        if (length == 0) return pos;
        pos += length;
    }
    return std::nullopt;
}

uint32_t decodeUtf8(std::string_view text, size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const size_t length = utf8Length(lead);
    if (length == 1 || pos + length > text.size()) {
        ++pos;
        return lead;
    }
    uint32_t codePoint = lead & (0x7F >> length);
    for (size_t i = 1; i < length; ++i)
        codePoint = (codePoint << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
    pos += length;
    return codePoint;
}

void appendUtf8(std::string& out, uint32_t codePoint) {
    if (codePoint < 0x80) {
        out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else if (codePoint < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    }
}

std::string toValidUtf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    size_t pos = 0;
    while (pos < bytes.size()) {
        const size_t length = validSequenceLength(bytes, pos);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            ++pos;
        } else {
            out.append(bytes.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

}  // namespace attnscope::capture::detail
