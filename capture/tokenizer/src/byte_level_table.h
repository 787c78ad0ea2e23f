#pragma once
// GPT-2's reversible mapping of the 256 byte values onto printable code points, so that
// byte-level vocabularies can be stored as text ("Ġ" is the space byte, "Ċ" the newline).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope::capture::detail {

class ByteLevelTable {
public:
    /// The table is built once; it is immutable and shared by all tokenizers.
    static const ByteLevelTable& instance();

    /// The UTF-8 string of the code point that stands for this byte.
    const std::string& charOf(unsigned char byte) const { return m_byteToUtf8[byte]; }
    /// The byte a code point stands for, or nullopt if it is not one of the 256.
    std::optional<unsigned char> byteOf(uint32_t codePoint) const;

    /// Maps a byte-level token string back to its bytes; code points outside the table are kept
    /// as their UTF-8 (as the reference decoder does).
    std::string toBytes(std::string_view token) const;

private:
    ByteLevelTable();
    std::array<std::string, 256> m_byteToUtf8;
    std::array<int16_t, 324> m_codePointToByte{};  // every mapped code point is below 324
};

}  // namespace attnscope::capture::detail
