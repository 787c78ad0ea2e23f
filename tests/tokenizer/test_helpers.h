#pragma once
// Helpers for building tokenizers inside tests and for checking byte-level strings with a
// second, independent implementation of GPT-2's byte-to-character rule.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/capture/tokenizer.h"

namespace attnscope::capture::test_helpers {

using Json = nlohmann::json;

/// GPT-2's rule: printable Latin-1 bytes (! to ~, ¡ to ¬, ® to ÿ) are themselves, every other
/// byte is U+0100 + n for the n-th such byte in byte order.
inline uint32_t byteLevelCodePoint(unsigned char byte) {
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        if (b == byte) return printable ? static_cast<uint32_t>(b) : next;
        if (!printable) ++next;
    }
    return 0;
}

inline void appendCodePoint(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else {  // the byte-level alphabet stays below U+0800
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

/// The byte-level vocabulary string for raw bytes: toByteLevel(" the") == "Ġthe".
inline std::string toByteLevel(std::string_view bytes) {
    std::string out;
    for (const char c : bytes)
        appendCodePoint(out, byteLevelCodePoint(static_cast<unsigned char>(c)));
    return out;
}

/// A vocabulary holding the 256 byte-level characters with ids 0..255 in byte order.
inline Json byteLevelAlphabet() {
    Json vocab = Json::object();
    for (int b = 0; b < 256; ++b)
        vocab[toByteLevel(std::string(1, static_cast<char>(b)))] = b;
    return vocab;
}

inline std::unique_ptr<Tokenizer> load(const Json& document) {
    return Tokenizer::fromTokenizerJsonString(document.dump(), "test tokenizer.json");
}

inline EncodeOptions noSpecialTokens() {
    EncodeOptions options;
    options.addSpecialTokens = false;
    return options;
}

using Spans = std::vector<std::pair<size_t, size_t>>;

}  // namespace attnscope::capture::test_helpers
