// Fuzzes encode() and decode(): the first byte picks a tokenizer and options, the rest is the
// text. Invalid UTF-8 must be rejected with TokenizerError; valid text must give spans inside
// the text in order, and byte-level tokenizers must decode back to the text exactly.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/capture/tokenizer.h"

namespace {

using attnscope::capture::EncodeOptions;
using attnscope::capture::Tokenizer;
using attnscope::capture::TokenizerError;

// Llama-3 layout (Split regex + ByteLevel) with a few merges over the byte alphabet.
const char* const kLlama3Style = R"({
  "added_tokens": [{"id": 260, "content": "<|eot|>", "special": true, "lstrip": true}],
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior": "Isolated", "invert": false},
    {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "ignore_merges": true, "vocab": VOCAB, "merges": ["\u0120 t", "h e", "\u0120t he"]}
})";

// Llama-2 layout: Prepend/Replace normalizer, byte fallback, SentencePiece decoders.
const char* const kLlama2Style = R"({
  "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
  "model": {"type": "BPE", "byte_fallback": true, "fuse_unk": true, "unk_token": "<unk>", "vocab": VOCAB,
            "merges": ["\u2581 a", "a b"]},
  "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
                     "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
})";

const char* const kWordLevel = R"({
  "pre_tokenizer": {"type": "Whitespace"},
  "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "the": 1, "cat": 2}, "unk_token": "[UNK]"}
})";

std::string byteLevelVocab() {
    // The 256 byte characters (GPT-2 rule) plus the merged tokens.
    std::string vocab = "{";
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        char entry[32];
        std::snprintf(entry, sizeof entry, "\"\\u%04x\": %d,", printable ? b : next++, b);
        vocab += entry;
    }
    return vocab + "\"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258}";
}

std::string llamaVocab() {
    std::string vocab = "{\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2,";
    for (int b = 0; b < 256; ++b) {
        char entry[32];
        std::snprintf(entry, sizeof entry, "\"<0x%02X>\": %d,", b, 3 + b);
        vocab += entry;
    }
    return vocab + "\"\\u2581\": 259, \"a\": 260, \"b\": 261, \"\\u2581a\": 262, \"ab\": 263}";
}

std::string withVocab(std::string json, const std::string& vocab) {
    json.replace(json.find("VOCAB"), 5, vocab);
    return json;
}

struct Entry {
    std::unique_ptr<Tokenizer> tokenizer;
    bool exactRoundTrip;
};

std::vector<Entry> makeTokenizers() {
    std::vector<Entry> entries;
    entries.push_back(
        {Tokenizer::fromTokenizerJsonString(withVocab(kLlama3Style, byteLevelVocab()), "llama3"),
         true});
    entries.push_back(
        {Tokenizer::fromTokenizerJsonString(withVocab(kLlama2Style, llamaVocab()), "llama2"),
         false});
    entries.push_back({Tokenizer::fromTokenizerJsonString(kWordLevel, "wordlevel"), false});
    std::error_code error;
    if (std::filesystem::exists(ATTNSCOPE_FUZZ_GPT2, error))
        entries.push_back({Tokenizer::fromTokenizerJson(ATTNSCOPE_FUZZ_GPT2), true});
    return entries;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<Entry> entries = makeTokenizers();
    if (size == 0) return 0;
    const Entry& entry = entries[data[0] % entries.size()];
    EncodeOptions options;
    options.addSpecialTokens = (data[0] & 0x40) != 0;
    options.parseSpecialTokens = (data[0] & 0x80) != 0;
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    attnscope::capture::Encoding encoding;
    try {
        encoding = entry.tokenizer->encode(text, options);
    } catch (const TokenizerError&) {
        return 0;  // invalid UTF-8
    }
    const size_t count = encoding.ids.size();
    if (encoding.tokens.size() != count || encoding.byteSpans.size() != count ||
        encoding.charSpans.size() != count)
        __builtin_trap();
    size_t previousBegin = 0;
    for (size_t i = 0; i < count; ++i) {
        const auto [begin, end] = encoding.byteSpans[i];
        if (begin > end || end > text.size() || begin < previousBegin) __builtin_trap();
        if (encoding.charSpans[i].first > encoding.charSpans[i].second) __builtin_trap();
        previousBegin = begin;
        entry.tokenizer->displayString(encoding.ids[i]);
    }
    const std::string decoded = entry.tokenizer->decode(encoding.ids);
    if (entry.exactRoundTrip && !options.addSpecialTokens && decoded != text) __builtin_trap();
    return 0;
}
