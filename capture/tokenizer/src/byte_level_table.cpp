#include "byte_level_table.h"

#include "utf8.h"

namespace attnscope::capture::detail {

ByteLevelTable::ByteLevelTable() {
    m_codePointToByte.fill(-1);
    // Printable Latin-1 bytes stand for themselves; the rest (controls, space, 0x7F-0xA0, 0xAD)
    // take the code points from 256 upwards in byte order.
    uint32_t next = 256;
    for (int byte = 0; byte < 256; ++byte) {
        const bool printable = (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
                               (byte >= 0xAE && byte <= 0xFF);
        const uint32_t codePoint = printable ? static_cast<uint32_t>(byte) : next++;
        appendUtf8(m_byteToUtf8[byte], codePoint);
        m_codePointToByte[codePoint] = static_cast<int16_t>(byte);
    }
}

const ByteLevelTable& ByteLevelTable::instance() {
    static const ByteLevelTable table;
    return table;
}

std::optional<unsigned char> ByteLevelTable::byteOf(uint32_t codePoint) const {
    if (codePoint >= m_codePointToByte.size() || m_codePointToByte[codePoint] < 0)
        return std::nullopt;
    return static_cast<unsigned char>(m_codePointToByte[codePoint]);
}

std::string ByteLevelTable::toBytes(std::string_view token) const {
    std::string bytes;
    bytes.reserve(token.size());
    size_t pos = 0;
    while (pos < token.size()) {
        const size_t start = pos;
        const uint32_t codePoint = decodeUtf8(token, pos);
        if (const auto byte = byteOf(codePoint))
            bytes.push_back(static_cast<char>(*byte));
        else
            bytes.append(token.substr(start, pos - start));
    }
    return bytes;
}

}  // namespace attnscope::capture::detail
