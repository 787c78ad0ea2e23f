// The Llama-3 / Qwen2 layout: a Split pre-tokenizer with the Llama-3 regex, then ByteLevel
// without its own regex, on vocabularies built here.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

const char* const kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

Json llama3PreTokenizer() {
    return {{"type", "Sequence"},
            {"pretokenizers", Json::array({{{"type", "Split"},
                                            {"pattern", {{"Regex", kLlama3Regex}}},
                                            {"behavior", "Isolated"},
                                            {"invert", false}},
                                           {{"type", "ByteLevel"},
                                            {"add_prefix_space", false},
                                            {"trim_offsets", true},
                                            {"use_regex", false}}})}};
}

// With ignore_merges, a word that is in the vocabulary is one token, so a vocabulary that holds
// exactly the words we expect makes the tokens show the pre-tokenizer's split.
std::unique_ptr<Tokenizer> wordRevealingTokenizer(const std::vector<std::string>& words) {
    Json vocab = byteLevelAlphabet();
    int64_t next = 256;
    for (const std::string& word : words)
        if (!vocab.contains(toByteLevel(word))) vocab[toByteLevel(word)] = next++;
    return load(
        {{"model",
          {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array()}, {"ignore_merges", true}}},
         {"pre_tokenizer", llama3PreTokenizer()},
         {"decoder", {{"type", "ByteLevel"}}}});
}

struct SplitCase {
    std::string text;
    std::vector<std::string> words;  // worked out by hand from the regex
};

TEST(Llama3SplitRegex, SplitsWordsAsTheRegexSays) {
    const std::vector<SplitCase> cases = {
        // A letter run takes one leading non-letter; digits go in groups of three.
        {"H\xC3\xA9llo w\xC3\xB6rld 1234567",
         {"H\xC3\xA9llo", " w\xC3\xB6rld", " ", "123", "456", "7"}},
        // Contractions are case-insensitive and split off the preceding word.
        {"DON'T I'm", {"DON", "'T", " I", "'m"}},
        // Punctuation and emoji runs take one leading space and trailing newlines.
        {"x \xF0\x9F\x99\x82\xF0\x9F\x99\x82!!\n\ny",
         {"x", " \xF0\x9F\x99\x82\xF0\x9F\x99\x82!!\n\n", "y"}},
        // A newline run keeps the whitespace before it; a space run gives its last space to
        // the following word.
        {"a  \n\n   b", {"a", "  \n\n", "  ", " b"}},
        // Non-Latin letters are letters; Arabic-Indic digits are digits (groups of three).
        {"\xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC "
         "\xE4\xB8\xAD\xE6\x96\x87 \xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4",
         {"\xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC",
          " \xE4\xB8\xAD\xE6\x96\x87", " ", "\xD9\xA1\xD9\xA2\xD9\xA3", "\xD9\xA4"}},
        // A letter run may start with one punctuation character; trailing spaces stay together.
        {"(abc)  ", {"(abc", ")", "  "}},
    };
    for (const SplitCase& c : cases) {
        const auto tokenizer = wordRevealingTokenizer(c.words);
        const Encoding encoding = tokenizer->encode(c.text, noSpecialTokens());
        std::vector<std::string> expectedTokens;
        Spans expectedSpans;
        size_t offset = 0;
        for (const std::string& word : c.words) {
            expectedTokens.push_back(toByteLevel(word));
            expectedSpans.emplace_back(offset, offset + word.size());
            offset += word.size();
        }
        EXPECT_EQ(encoding.tokens, expectedTokens) << c.text;
        EXPECT_EQ(encoding.byteSpans, expectedSpans) << c.text;
        EXPECT_EQ(tokenizer->decode(encoding.ids), c.text);
    }
}

TEST(Llama3SplitRegex, CharacterSpansCountCodePoints) {
    const std::string text = "H\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87";  // "Héllo 中文"
    const auto tokenizer = wordRevealingTokenizer({"H\xC3\xA9llo", " \xE4\xB8\xAD\xE6\x96\x87"});
    const Encoding encoding = tokenizer->encode(text, noSpecialTokens());
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 6}, {6, 13}}));
    EXPECT_EQ(encoding.charSpans, (Spans{{0, 5}, {5, 8}}));
}

TEST(ByteLevelBpe, PartialCharacterTokensSpanTheirBytesAndTheWholeCharacter) {
    // "🙂" is F0 9F 99 82. Merge its bytes pairwise, but not into one token.
    const std::string f09f = toByteLevel("\xF0\x9F");
    const std::string x9982 = toByteLevel("\x99\x82");
    Json vocab = byteLevelAlphabet();
    vocab[f09f] = 256;
    vocab[x9982] = 257;
    vocab[toByteLevel(" a")] = 258;
    const Json merges =
        Json::array({toByteLevel(" ") + " a", toByteLevel("\xF0") + " " + toByteLevel("\x9F"),
                     toByteLevel("\x99") + " " + toByteLevel("\x82")});
    const auto tokenizer =
        load({{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
              {"decoder", {{"type", "ByteLevel"}}}});
    const std::string text = "a \xF0\x9F\x99\x82 a";
    const Encoding encoding = tokenizer->encode(text, noSpecialTokens());
    // GPT-2's regex: "a", " 🙂" (space + symbol run), " a".
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{'a', 32, 256, 257, 258}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 1}, {1, 2}, {2, 4}, {4, 6}, {6, 8}}));
    EXPECT_EQ(encoding.charSpans, (Spans{{0, 1}, {1, 2}, {2, 3}, {2, 3}, {3, 5}}));
    EXPECT_EQ(tokenizer->decode(encoding.ids), text);
    // Decoding half a character cannot give valid UTF-8: it becomes U+FFFD.
    EXPECT_EQ(tokenizer->decode({256}), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(tokenizer->displayString(256), "\\xF0\\x9F");
    EXPECT_EQ(tokenizer->displayString(258), " a");
    EXPECT_EQ(tokenizer->displayString('\n'), "\\n");
}

TEST(ByteLevelBpe, AddPrefixSpaceInsertsAnEmptySpanSpace) {
    Json vocab = byteLevelAlphabet();
    vocab[toByteLevel(" a")] = 256;
    const auto tokenizer = load(
        {{"model",
          {{"type", "BPE"}, {"vocab", vocab}, {"merges", Json::array({toByteLevel(" ") + " a"})}}},
         {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", true}}},
         {"decoder", {{"type", "ByteLevel"}}}});
    const Encoding encoding = tokenizer->encode("a", noSpecialTokens());
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{256}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 1}}));
}

}  // namespace
}  // namespace attnscope::capture
