// formatTokenization: what `attnscope-cli tokenize` prints.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

std::unique_ptr<Tokenizer> smallByteLevel() {
    Json vocab = byteLevelAlphabet();
    vocab[toByteLevel(" \xC3\xA9")] = 256;  // " é"
    vocab[toByteLevel("\xC3\xA9")] = 257;
    return load(
        {{"added_tokens", Json::array({{{"id", 258}, {"content", "<|bos|>"}, {"special", true}}})},
         {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
         {"model",
          {{"type", "BPE"},
           {"vocab", vocab},
           {"merges", Json::array({toByteLevel("\xC3") + " " + toByteLevel("\xA9"),
                                   toByteLevel(" ") + " " + toByteLevel("\xC3\xA9")})}}},
         {"post_processor",
          {{"type", "TemplateProcessing"},
           {"single",
            Json::array({{{"SpecialToken", {{"id", "<|bos|>"}}}}, {{"Sequence", {{"id", "A"}}}}})},
           {"special_tokens",
            {{"<|bos|>", {{"id", "<|bos|>"}, {"ids", {258}}, {"tokens", {"<|bos|>"}}}}}}}},
         {"decoder", {{"type", "ByteLevel"}}}});
}

TEST(FormatTokenization, JsonListsIdDisplayTextAndCharacterOffsets) {
    const auto tokenizer = smallByteLevel();
    const std::string text = "a \xC3\xA9\n";  // "a é\n": 4 characters
    const Encoding encoding = tokenizer->encode(text);
    const Json printed = Json::parse(formatTokenization(*tokenizer, encoding, text, true));
    const Json expected =
        Json::array({{{"id", 258}, {"text", "<|bos|>"}, {"start", 0}, {"end", 0}},
                     {{"id", 'a'}, {"text", "a"}, {"start", 0}, {"end", 1}},
                     {{"id", 256}, {"text", " \xC3\xA9"}, {"start", 1}, {"end", 3}},
                     {{"id", '\n'}, {"text", "\\n"}, {"start", 3}, {"end", 4}}});
    EXPECT_EQ(printed, expected);
}

TEST(FormatTokenization, PlainTextHasOneLinePerToken) {
    const auto tokenizer = smallByteLevel();
    const std::string text = "a\t";
    const Encoding encoding = tokenizer->encode(text, false);
    EXPECT_EQ(formatTokenization(*tokenizer, encoding, text, false),
              "2 tokens\nindex\tid\tstart\tend\ttoken\n0\t97\t0\t1\t\"a\"\n1\t9\t1\t2\t\"\\t\"\n");
}

TEST(DisplayString, IsAlwaysValidUtf8AndReadable) {
    const auto tokenizer = smallByteLevel();
    EXPECT_EQ(tokenizer->displayString(257), "\xC3\xA9");
    EXPECT_EQ(tokenizer->displayString(0xC3), "\\xC3");  // half a character
    EXPECT_EQ(tokenizer->displayString(0x7F), "\\x7F");
    EXPECT_EQ(tokenizer->displayString(' '), " ");
    EXPECT_EQ(tokenizer->idToToken(' '), "\xC4\xA0");  // "Ġ"
    EXPECT_EQ(tokenizer->tokenToId("<|bos|>"), 258);
    EXPECT_EQ(tokenizer->tokenToId("nope"), std::nullopt);
    EXPECT_EQ(tokenizer->vocabSize(), 259);
    EXPECT_THROW(tokenizer->displayString(259), TokenizerError);
}

}  // namespace
}  // namespace attnscope::capture
