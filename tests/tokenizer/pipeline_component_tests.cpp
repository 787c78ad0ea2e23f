// Split behaviors, normalizers, added-token options, post-processors and model-folder
// configuration, observed through small tokenizers built here.
#include <gtest/gtest.h>

#include <unistd.h>
#include <fstream>
#include <thread>

#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

// Every word is unknown, so each pre-tokenized word becomes one <unk> whose span shows it.
Json unkOnlyModel() {
    return {{"type", "WordLevel"}, {"vocab", {{"<unk>", 0}}}, {"unk_token", "<unk>"}};
}

Spans splitSpans(const std::string& behavior, bool invert, const std::string& text) {
    const auto tokenizer = load({{"model", unkOnlyModel()},
                                 {"pre_tokenizer",
                                  {{"type", "Split"},
                                   {"pattern", {{"String", "-"}}},
                                   {"behavior", behavior},
                                   {"invert", invert}}}});
    return tokenizer->encode(text).byteSpans;
}

TEST(SplitPreTokenizer, BehaviorsPlaceTheDelimiterAsDocumented) {
    // "a-b--c-": a[0,1) -[1,2) b[2,3) -[3,4) -[4,5) c[5,6) -[6,7)
    const std::string text = "a-b--c-";
    EXPECT_EQ(splitSpans("Removed", false, text), (Spans{{0, 1}, {2, 3}, {5, 6}}));
    EXPECT_EQ(splitSpans("Isolated", false, text),
              (Spans{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}}));
    // A delimiter joins its neighbour only if that neighbour is not a delimiter itself.
    EXPECT_EQ(splitSpans("MergedWithPrevious", false, text),
              (Spans{{0, 2}, {2, 4}, {4, 5}, {5, 7}}));
    EXPECT_EQ(splitSpans("MergedWithNext", false, text),
              (Spans{{0, 1}, {1, 3}, {3, 4}, {4, 6}, {6, 7}}));
    EXPECT_EQ(splitSpans("Contiguous", false, text),
              (Spans{{0, 1}, {1, 2}, {2, 3}, {3, 5}, {5, 6}, {6, 7}}));
    // Inverted, the letters are the "delimiters" that get removed.
    EXPECT_EQ(splitSpans("Removed", true, text), (Spans{{1, 2}, {3, 4}, {4, 5}, {6, 7}}));
}

TEST(SplitPreTokenizer, DigitsAndPunctuation) {
    const auto digits =
        load({{"model", unkOnlyModel()},
              {"pre_tokenizer", {{"type", "Digits"}, {"individual_digits", true}}}});
    EXPECT_EQ(digits->encode("ab12c").byteSpans, (Spans{{0, 2}, {2, 3}, {3, 4}, {4, 5}}));
    const auto punctuation =
        load({{"model", unkOnlyModel()}, {"pre_tokenizer", {{"type", "Punctuation"}}}});
    // "¿" (U+00BF) is Unicode punctuation.
    EXPECT_EQ(punctuation->encode("a,b\xC2\xBF").byteSpans,
              (Spans{{0, 1}, {1, 2}, {2, 3}, {3, 5}}));
}

TEST(Normalizers, StripAndLowercaseKeepOffsetsInTheOriginalText) {
    const auto tokenizer =
        load({{"normalizer",
               {{"type", "Sequence"},
                {"normalizers",
                 Json::array({{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
                              {{"type", "Lowercase"}},
                              {{"type", "NFC"}}})}}},
              {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
              {"model",
               {{"type", "WordLevel"},
                {"vocab", {{"<unk>", 0}, {"h\xC3\xA9llo", 1}, {"\xCF\x89x", 2}}},
                {"unk_token", "<unk>"}}}});
    // "  HÉLLO Ωx  ": É is bytes 3-4, Ω bytes 9-10.
    const Encoding encoding = tokenizer->encode("  H\xC3\x89LLO \xCE\xA9x  ");
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{2, 8}, {9, 12}}));
    EXPECT_EQ(encoding.charSpans, (Spans{{2, 7}, {8, 10}}));
}

TEST(Normalizers, RegexReplaceMapsTheReplacementToTheMatchedText) {
    const auto tokenizer =
        load({{"normalizer",
               {{"type", "Replace"}, {"pattern", {{"Regex", "\\p{N}+"}}}, {"content", "#"}}},
              {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
              {"model",
               {{"type", "WordLevel"},
                {"vocab", {{"<unk>", 0}, {"#", 1}, {"a", 2}}},
                {"unk_token", "<unk>"}}}});
    const Encoding encoding = tokenizer->encode("a 12\xD9\xA3 a");
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{2, 1, 2}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 1}, {2, 6}, {7, 8}}));
}

std::unique_ptr<Tokenizer> byteLevelWithMask(bool lstrip, bool rstrip, bool singleWord) {
    return load(
        {{"added_tokens", Json::array({{{"id", 256},
                                        {"content", "<mask>"},
                                        {"special", true},
                                        {"lstrip", lstrip},
                                        {"rstrip", rstrip},
                                        {"single_word", singleWord}}})},
         {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
         {"model", {{"type", "BPE"}, {"vocab", byteLevelAlphabet()}, {"merges", Json::array()}}},
         {"decoder", {{"type", "ByteLevel"}}}});
}

TEST(AddedTokens, StripOptionsSwallowNeighbouringWhitespace) {
    const std::string text = "a <mask> b";
    EXPECT_EQ(byteLevelWithMask(false, false, false)->encode(text).ids,
              (std::vector<int64_t>{'a', ' ', 256, ' ', 'b'}));
    const Encoding stripped = byteLevelWithMask(true, true, false)->encode(text);
    EXPECT_EQ(stripped.ids, (std::vector<int64_t>{'a', 256, 'b'}));
    EXPECT_EQ(stripped.byteSpans, (Spans{{0, 1}, {2, 8}, {9, 10}}));
}

TEST(AddedTokens, SingleWordTokensDoNotMatchInsideWords) {
    const auto tokenizer = byteLevelWithMask(false, false, true);
    EXPECT_EQ(tokenizer->encode("x<mask>").ids.size(), 7u);  // seven bytes, no match
    EXPECT_EQ(tokenizer->encode("x <mask>").ids, (std::vector<int64_t>{'x', ' ', 256}));
}

TEST(AddedTokens, LongestMatchWins) {
    const auto tokenizer =
        load({{"added_tokens",
               Json::array({{{"id", 1}, {"content", "<a>"}}, {{"id", 2}, {"content", "<a>>"}}})},
              {"model", unkOnlyModel()}});
    EXPECT_EQ(tokenizer->encode("<a>><a>").ids, (std::vector<int64_t>{2, 1}));
}

TEST(PostProcessors, RobertaWrapsTheSequenceAndCanBeSwitchedOff) {
    const auto tokenizer = load({{"model",
                                  {{"type", "WordLevel"},
                                   {"vocab", {{"<s>", 0}, {"</s>", 2}, {"<unk>", 3}, {"hi", 4}}},
                                   {"unk_token", "<unk>"}}},
                                 {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                                 {"post_processor",
                                  {{"type", "RobertaProcessing"},
                                   {"sep", Json::array({"</s>", 2})},
                                   {"cls", Json::array({"<s>", 0})}}}});
    const Encoding encoding = tokenizer->encode("hi hi");
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{0, 4, 4, 2}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 0}, {0, 2}, {3, 5}, {5, 5}}));
    EXPECT_EQ(tokenizer->encode("hi hi", false).ids, (std::vector<int64_t>{4, 4}));
    EXPECT_EQ(tokenizer->bosId(), 0);
    EXPECT_EQ(tokenizer->eosId(), 2);
}

class ModelFolder : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("attnscope_tok_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    void write(const std::string& name, const std::string& content) {
        std::ofstream(m_dir / name) << content;
    }
    std::filesystem::path m_dir;
};

TEST_F(ModelFolder, TokenizerConfigAddsBosAndNamesEos) {
    write("tokenizer.json", Json{{"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                                 {"model",
                                  {{"type", "WordLevel"},
                                   {"vocab", {{"[UNK]", 0}, {"[BOS]", 1}, {"[EOS]", 2}, {"x", 3}}},
                                   {"unk_token", "[UNK]"}}}}
                                .dump());
    write("tokenizer_config.json",
          R"({"add_bos_token": true, "bos_token": "[BOS]", "eos_token": {"content": "[EOS]"}})");
    const auto tokenizer = Tokenizer::fromModelFolder(m_dir);
    EXPECT_EQ(tokenizer->encode("x").ids, (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(tokenizer->encode("x", false).ids, (std::vector<int64_t>{3}));
    EXPECT_EQ(tokenizer->bosId(), 1);
    EXPECT_EQ(tokenizer->eosId(), 2);
}

TEST_F(ModelFolder, ConfigJsonIdsAreTheFallback) {
    write("tokenizer.json",
          Json{{"model", {{"type", "WordLevel"}, {"vocab", {{"a", 0}, {"b", 1}}}}}}.dump());
    write("config.json", R"({"bos_token_id": 1, "eos_token_id": [0, 1]})");
    const auto tokenizer = Tokenizer::fromModelFolder(m_dir);
    EXPECT_EQ(tokenizer->bosId(), 1);
    EXPECT_EQ(tokenizer->eosId(), 0);
    EXPECT_EQ(tokenizer->encode("a").ids, (std::vector<int64_t>{0}));  // nothing asks to add BOS
}

TEST_F(ModelFolder, EmptyFolderIsAnErrorNamingIt) {
    try {
        Tokenizer::fromModelFolder(m_dir);
        FAIL() << "expected an error";
    } catch (const TokenizerError& error) {
        EXPECT_NE(std::string(error.what()).find(m_dir.string()), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("tokenizer.json"), std::string::npos);
    }
}

TEST(Threads, ConcurrentEncodingGivesTheSameTokens) {
    const auto gpt2 = test::fixturesDir() / "tokenizers" / "gpt2" / "tokenizer.json";
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2);
    const auto tokenizer = Tokenizer::fromTokenizerJson(gpt2);
    std::vector<std::string> texts;
    for (int i = 0; i < 200; ++i)
        texts.push_back("word" + std::to_string(i * 7919 % 1000) + " and some more text " +
                        std::to_string(i));
    std::vector<std::vector<int64_t>> expected;
    for (const auto& text : texts)
        expected.push_back(tokenizer->encode(text).ids);
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round)
                for (size_t i = 0; i < texts.size(); ++i)
                    mismatches[t] += tokenizer->encode(texts[(i + t * 37) % texts.size()]).ids !=
                                     expected[(i + t * 37) % texts.size()];
        });
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace attnscope::capture
