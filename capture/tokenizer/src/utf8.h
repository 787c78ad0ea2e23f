#pragma once
// Small UTF-8 helpers; the tokenizer validates its input once and then trusts it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope::capture::detail {

/// Offset of the first byte that breaks UTF-8 validity (overlongs, surrogates and code points
/// past U+10FFFF are invalid), or nullopt for valid text.
std::optional<size_t> findInvalidUtf8(std::string_view text);

/// Length of the UTF-8 sequence starting with this lead byte (1 for invalid lead bytes).
inline size_t utf8Length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead >> 5) == 0x6) return 2;
    if ((lead >> 4) == 0xE) return 3;
    if ((lead >> 3) == 0x1E) return 4;
    return 1;
}

inline bool isContinuationByte(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

/// Decodes the code point at `pos` of valid UTF-8 text and advances `pos` past it.
uint32_t decodeUtf8(std::string_view text, size_t& pos);

/// Appends the UTF-8 encoding of a code point.
void appendUtf8(std::string& out, uint32_t codePoint);

/// Replaces every invalid sequence with U+FFFD, as lossy decoders do.
std::string toValidUtf8(std::string_view bytes);

}  // namespace attnscope::capture::detail
