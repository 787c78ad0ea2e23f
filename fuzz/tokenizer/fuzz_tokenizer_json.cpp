// Fuzzes tokenizer.json parsing: any input must load or throw TokenizerError, and a tokenizer
// that loads must encode and decode a few texts without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attnscope/capture/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    std::unique_ptr<attnscope::capture::Tokenizer> tokenizer;
    try {
        tokenizer = attnscope::capture::Tokenizer::fromTokenizerJsonString(json, "fuzz.json");
    } catch (const attnscope::capture::TokenizerError&) {
        return 0;
    }
    for (const char* text :
         {"Hello world!", " a  b\n\n1234 caf\xC3\xA9 \xF0\x9F\x99\x82", "<s>x</s>", ""}) {
        try {
            const auto encoding = tokenizer->encode(text);
            tokenizer->decode(encoding.ids);
            for (const int64_t id : encoding.ids)
                tokenizer->displayString(id);
        } catch (const attnscope::capture::TokenizerError&) {
            // e.g. a character the vocabulary cannot represent: an error, not a crash
        }
    }
    return 0;
}
