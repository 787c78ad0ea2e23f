// WordLevel models with whitespace pre-tokenizers: the layout of the demo model.
#include <gtest/gtest.h>

#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

Json wordLevel(const std::string& preTokenizer) {
    return {{"added_tokens", Json::array({{{"id", 0}, {"content", "[UNK]"}, {"special", true}},
                                          {{"id", 1}, {"content", "[BOS]"}, {"special", true}},
                                          {{"id", 2}, {"content", "[SEP]"}, {"special", false}}})},
            {"pre_tokenizer", {{"type", preTokenizer}}},
            {"model",
             {{"type", "WordLevel"},
              {"vocab",
               {{"[UNK]", 0},
                {"[BOS]", 1},
                {"[SEP]", 2},
                {"the", 3},
                {"cat", 4},
                {"sat", 5},
                {".", 6},
                {"caf\xC3\xA9", 7},
                {"cat.", 8}}},
              {"unk_token", "[UNK]"}}},
            {"post_processor",
             {{"type", "TemplateProcessing"},
              {"single", Json::array({{{"SpecialToken", {{"id", "[BOS]"}, {"type_id", 0}}}},
                                      {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
              {"special_tokens",
               {{"[BOS]", {{"id", "[BOS]"}, {"ids", {1}}, {"tokens", {"[BOS]"}}}}}}}}};
}

TEST(WordLevel, WhitespaceSplitKeepsPunctuationAttached) {
    const auto tokenizer = load(wordLevel("WhitespaceSplit"));
    const std::string text = "the  cat.\tsat dog caf\xC3\xA9";
    const Encoding encoding = tokenizer->encode(text);
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{1, 3, 8, 5, 0, 7}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 0}, {0, 3}, {5, 9}, {10, 13}, {14, 17}, {18, 23}}));
    EXPECT_EQ(encoding.charSpans, (Spans{{0, 0}, {0, 3}, {5, 9}, {10, 13}, {14, 17}, {18, 22}}));
    EXPECT_EQ(tokenizer->bosId(), 1);
    // No decoder: tokens are joined with single spaces, unknown words come back as [UNK].
    EXPECT_EQ(tokenizer->decode(encoding.ids, true), "the cat. sat caf\xC3\xA9");
    EXPECT_EQ(tokenizer->decode(encoding.ids), "[BOS] the cat. sat [UNK] caf\xC3\xA9");
}

TEST(WordLevel, WhitespacePreTokenizerSplitsPunctuation) {
    const auto tokenizer = load(wordLevel("Whitespace"));
    const Encoding encoding = tokenizer->encode("the cat. caf\xC3\xA9!", false);
    // \w+ | [^\w\s]+ : "é" is a word character.
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{3, 4, 6, 7, 0}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 3}, {4, 7}, {7, 8}, {9, 14}, {14, 15}}));
}

TEST(WordLevel, NonSpecialAddedTokensAreMatchedEvenWhenSpecialOnesAreNot) {
    const auto tokenizer = load(wordLevel("WhitespaceSplit"));
    EncodeOptions options;
    options.addSpecialTokens = false;
    options.parseSpecialTokens = false;
    // "[SEP]" is a non-special added token; "[BOS]" is special, so here it is a plain word
    // (which the WordLevel vocabulary happens to know).
    const Encoding encoding = tokenizer->encode("the[SEP]cat [BOS]", options);
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{3, 2, 4, 1}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 3}, {3, 8}, {8, 11}, {12, 17}}));
    EXPECT_FALSE(tokenizer->isSpecialToken(2));
    EXPECT_TRUE(tokenizer->isSpecialToken(1));
}

TEST(WordLevel, MissingUnkTokenIsAnEncodeError) {
    Json document = wordLevel("WhitespaceSplit");
    document["model"].erase("unk_token");
    const auto tokenizer = load(document);
    EXPECT_EQ(tokenizer->encode("the cat", false).ids, (std::vector<int64_t>{3, 4}));
    try {
        tokenizer->encode("the dog", false);
        FAIL() << "expected an error";
    } catch (const TokenizerError& error) {
        EXPECT_NE(std::string(error.what()).find("'dog'"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace attnscope::capture
