// Tokenizer::displayString: raw vocabulary strings made readable for the GUI's token strip.
#include <cstdio>

#include "attnscope/capture/tokenizer.h"
#include "byte_level_table.h"
#include "decoders.h"
#include "tokenizer_pipeline.h"
#include "utf8.h"

namespace attnscope::capture {

namespace {

void appendHexEscape(std::string& out, unsigned char byte) {
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\x%02X", byte);
    out += escape;
}

// Valid characters stay, control characters and bytes that are not (complete) UTF-8 become
// C-style escapes, so the result is printable and valid UTF-8.
std::string escapeForDisplay(std::string_view bytes) {
    std::string out;
    size_t pos = 0;
    while (pos < bytes.size()) {
        const auto byte = static_cast<unsigned char>(bytes[pos]);
        if (byte < 0x80) {
            switch (byte) {
                case '\n':
                    out += "\\n";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    if (byte < 0x20 || byte == 0x7F)
                        appendHexEscape(out, byte);
                    else
                        out.push_back(static_cast<char>(byte));
            }
            ++pos;
            continue;
        }
        const size_t length = detail::utf8Length(byte);
        const std::string_view sequence = bytes.substr(pos, length);
        if (length > 1 && sequence.size() == length && !detail::findInvalidUtf8(sequence)) {
            out.append(sequence);
            pos += length;
        } else {
            appendHexEscape(out, byte);
            ++pos;
        }
    }
    return out;
}

std::string replaceMarker(std::string_view token, std::string_view marker) {
    std::string out;
    size_t pos = 0;
    while (true) {
        const size_t found = token.find(marker, pos);
        if (found == std::string_view::npos) break;
        out.append(token.substr(pos, found - pos));
        out += ' ';
        pos = found + marker.size();
    }
    out.append(token.substr(pos));
    return out;
}

}  // namespace

std::string Tokenizer::displayString(int64_t id) const {
    const std::string token = idToToken(id);
    if (m_pipeline->addedTokens.byId(id) != nullptr) return escapeForDisplay(token);
    const detail::DisplayStyle& style = m_pipeline->display;
    if (style.byteLevel) return escapeForDisplay(detail::ByteLevelTable::instance().toBytes(token));
    if (const auto byte = detail::ByteFallbackDecoder::byteOfToken(token))
        return escapeForDisplay(std::string(1, static_cast<char>(*byte)));
    if (!style.spaceMarker.empty())
        return escapeForDisplay(replaceMarker(token, style.spaceMarker));
    return escapeForDisplay(token);
}

}  // namespace attnscope::capture
