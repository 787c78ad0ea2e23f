// SentencePiece-style BPE (Llama-2, Mistral) with byte fallback, and the BPE merge order,
// on vocabularies and merges built here with answers worked out by hand.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "test_helpers.h"

namespace attnscope::capture {
namespace {

using namespace test_helpers;

const std::string kMeta = "\xE2\x96\x81";  // "▁"

std::string byteToken(int byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    return name;
}

// <unk>=0 <s>=1 </s>=2, <0x00>..<0xFF> = 3..258, then the pieces below from 259.
Json llamaVocab(const std::vector<std::string>& pieces) {
    Json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
    for (int b = 0; b < 256; ++b)
        vocab[byteToken(b)] = 3 + b;
    int64_t id = 259;
    for (const std::string& piece : pieces)
        vocab[piece] = id++;
    return vocab;
}

const std::vector<std::string> kPieces = {kMeta,
                                          "h",
                                          "e",
                                          "l",
                                          "o",
                                          "w",
                                          "r",
                                          "d",
                                          "\xC3\xA9",  // 259..267 ("é" is 267)
                                          kMeta + "h",
                                          "ll",
                                          "ell",
                                          kMeta + "hell",
                                          kMeta + "hello",
                                          "or",
                                          kMeta + "w"};  // 268..274
// Ranks in this order; the merged tokens are all in kPieces.
const Json kMerges = Json::array(
    {kMeta + " h", "l l", "e ll", kMeta + "h ell", kMeta + "hell o", "o r", kMeta + " w"});

Json specialAddedTokens() {
    Json added = Json::array();
    for (const auto& [content, id] :
         {std::pair<std::string, int>{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}})
        added.push_back({{"id", id},
                         {"content", content},
                         {"special", true},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"single_word", false},
                         {"normalized", false}});
    return added;
}

Json llamaModel(bool byteFallback) {
    return {{"type", "BPE"},     {"vocab", llamaVocab(kPieces)},
            {"merges", kMerges}, {"unk_token", "<unk>"},
            {"fuse_unk", true},  {"byte_fallback", byteFallback}};
}

Json llamaBosTemplate() {
    return {{"type", "TemplateProcessing"},
            {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
            {"pair", Json::array()},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
}

// Llama-2's tokenizer.json: the "▁" handling lives in the normalizer.
Json legacyLlama2(bool byteFallback = true) {
    return {
        {"added_tokens", specialAddedTokens()},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers",
           Json::array(
               {{{"type", "Prepend"}, {"prepend", kMeta}},
                {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMeta}}})}}},
        {"pre_tokenizer", nullptr},
        {"model", llamaModel(byteFallback)},
        {"post_processor", llamaBosTemplate()},
        {"decoder",
         {{"type", "Sequence"},
          {"decoders",
           Json::array({{{"type", "Replace"}, {"pattern", {{"String", kMeta}}}, {"content", " "}},
                        {{"type", "ByteFallback"}},
                        {{"type", "Fuse"}},
                        {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}}}};
}

// The newer layout: a Metaspace pre-tokenizer and decoder instead.
Json metaspaceLlama() {
    Json document = legacyLlama2();
    document["normalizer"] = nullptr;
    document["pre_tokenizer"] = {{"type", "Metaspace"},
                                 {"replacement", kMeta},
                                 {"prepend_scheme", "first"},
                                 {"split", false}};
    document["decoder"] = {
        {"type", "Sequence"},
        {"decoders",
         Json::array({{{"type", "Metaspace"}, {"replacement", kMeta}, {"prepend_scheme", "first"}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}}})}};
    return document;
}

TEST(MetaspaceBpe, MergesFollowRanksAndBytesFallBack) {
    for (const Json& document : {legacyLlama2(), metaspaceLlama()}) {
        const auto tokenizer = load(document);
        // "hello world" -> "▁hello▁world": ranks 0-4 build "▁hello" (272); then "or" (5, id
        // 273), "▁w" (6, id 274).
        // "l" and "d" stay single. "é" is in the vocabulary; "🙂" (F0 9F 99 82) and "\n" are not
        // and fall back to bytes (id 3 + byte).
        const std::string text = "hello world \xC3\xA9\xF0\x9F\x99\x82\n";
        const Encoding encoding = tokenizer->encode(text);
        const std::vector<int64_t> expected = {
            1, 272, 274, 273, 262, 266, 259, 267, 3 + 0xF0, 3 + 0x9F, 3 + 0x99, 3 + 0x82, 3 + 0x0A};
        EXPECT_EQ(encoding.ids, expected);
        EXPECT_EQ(encoding.tokens[1], kMeta + "hello");
        // BOS and the inserted "▁" cover no input; the space that became "▁" does.
        const Spans bytes = {{0, 0},   {0, 5},   {5, 7},   {7, 9},   {9, 10},  {10, 11}, {11, 12},
                             {12, 14}, {14, 15}, {15, 16}, {16, 17}, {17, 18}, {18, 19}};
        EXPECT_EQ(encoding.byteSpans, bytes);
        const Spans chars = {{0, 0},   {0, 5},   {5, 7},   {7, 9},   {9, 10},  {10, 11}, {11, 12},
                             {12, 13}, {13, 14}, {13, 14}, {13, 14}, {13, 14}, {14, 15}};
        EXPECT_EQ(encoding.charSpans, chars);
        // The decoders only strip the "▁" of the first token, which here is "<s>".
        EXPECT_EQ(tokenizer->decode(encoding.ids), "<s> " + text);
        EXPECT_EQ(tokenizer->decode(encoding.ids, /*skipSpecialTokens=*/true), text);
        EXPECT_EQ(tokenizer->bosId(), 1);
        EXPECT_EQ(tokenizer->eosId(), 2);
        EXPECT_EQ(tokenizer->encode(text, false).ids,
                  std::vector<int64_t>(expected.begin() + 1, expected.end()));
        EXPECT_EQ(tokenizer->displayString(272), " hello");
        EXPECT_EQ(tokenizer->displayString(3 + 0x0A), "\\n");
        EXPECT_EQ(tokenizer->displayString(3 + 0xF0), "\\xF0");
        EXPECT_EQ(tokenizer->displayString(267), "\xC3\xA9");
    }
}

TEST(MetaspaceBpe, UnknownCharactersFuseIntoOneUnkWithoutByteFallback) {
    const auto tokenizer = load(legacyLlama2(/*byteFallback=*/false));
    // "▁h" (268), then "☃☃" (two unknown characters) fuse into one <unk>, then "o".
    const Encoding encoding = tokenizer->encode("h\xE2\x98\x83\xE2\x98\x83o", false);
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{268, 0, 263}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 1}, {1, 7}, {7, 8}}));
    EXPECT_EQ(encoding.charSpans, (Spans{{0, 1}, {1, 3}, {3, 4}}));
}

TEST(MetaspaceBpe, AddedTokensSplitTheTextBeforeNormalization) {
    const auto tokenizer = load(legacyLlama2());
    // "</s>" is matched in the raw text; each side is normalized on its own, so "hello" gets
    // its own "▁" prefix (the reference's legacy behaviour).
    const Encoding encoding = tokenizer->encode("he</s>hello", false);
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{268, 261, 2, 272}));
    EXPECT_EQ(encoding.byteSpans, (Spans{{0, 1}, {1, 2}, {2, 6}, {6, 11}}));
}

TEST(MetaspaceBpe, FirstSchemeOnlyPrefixesTheStartOfTheText) {
    const auto tokenizer = load(metaspaceLlama());
    // With prepend_scheme "first", text after an added token gets no "▁": "hello" is
    // h e l l o -> h e ll o (rank 1) -> h ell o (rank 2), and "h ell" is no merge.
    const Encoding encoding = tokenizer->encode("he</s>hello", false);
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{268, 261, 2, 260, 270, 263}));
}

TEST(BpeMergeOrder, LowestRankFirstAndLeftmostOnTies) {
    Json vocab = {{"a", 0}, {"b", 1}, {"aa", 2}, {"ab", 3}, {"aab", 4}};
    const auto tokenizer =
        load({{"model",
               {{"type", "BPE"},
                {"vocab", vocab},
                {"merges", Json::array({Json::array({"a", "a"}), Json::array({"a", "b"}),
                                        Json::array({"aa", "b"})})}}}});
    // "aaa": both pairs are "a a"; the left one merges first -> "aa" "a".
    EXPECT_EQ(tokenizer->encode("aaa").ids, (std::vector<int64_t>{2, 0}));
    // "aab": "a a" (rank 0) beats "a b" (rank 1), then "aa b" -> "aab".
    EXPECT_EQ(tokenizer->encode("aab").ids, (std::vector<int64_t>{4}));
    // "abab": no "a a"; both "a b" merge -> "ab" "ab".
    EXPECT_EQ(tokenizer->encode("abab").ids, (std::vector<int64_t>{3, 3}));
    // Without a decoder, tokens are joined with spaces (the reference's default).
    EXPECT_EQ(tokenizer->decode({3, 3}), "ab ab");
}

// GPT-2's published bpe(): repeatedly take the adjacent pair with the lowest rank and merge
// all its occurrences left to right.
std::vector<std::string> naiveBpe(const std::string& word,
                                  const std::map<std::pair<std::string, std::string>, int>& ranks) {
    std::vector<std::string> symbols;
    for (const char c : word)
        symbols.emplace_back(1, c);
    while (symbols.size() > 1) {
        int bestRank = -1;
        std::pair<std::string, std::string> best;
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
            const auto it = ranks.find({symbols[i], symbols[i + 1]});
            if (it != ranks.end() && (bestRank < 0 || it->second < bestRank)) {
                bestRank = it->second;
                best = it->first;
            }
        }
        if (bestRank < 0) break;
        std::vector<std::string> merged;
        for (size_t i = 0; i < symbols.size(); ++i) {
            if (i + 1 < symbols.size() && symbols[i] == best.first &&
                symbols[i + 1] == best.second) {
                merged.push_back(best.first + best.second);
                ++i;
            } else {
                merged.push_back(symbols[i]);
            }
        }
        symbols = std::move(merged);
    }
    return symbols;
}

TEST(BpeMergeOrder, AgreesWithGpt2ReferenceAlgorithmOnRandomMerges) {
    std::mt19937 random(1234);
    for (int trial = 0; trial < 20; ++trial) {
        // A random BPE training history over "abcd": each merge joins two existing tokens.
        std::vector<std::string> tokens = {"a", "b", "c", "d"};
        std::map<std::pair<std::string, std::string>, int> ranks;
        Json merges = Json::array();
        while (ranks.size() < 40) {
            const std::string& left = tokens[random() % tokens.size()];
            const std::string& right = tokens[random() % tokens.size()];
            if (ranks.count({left, right}) || left.size() + right.size() > 8) continue;
            const std::string merged = left + right;
            ranks[{left, right}] = static_cast<int>(ranks.size());
            merges.push_back(left + " " + right);
            if (std::find(tokens.begin(), tokens.end(), merged) == tokens.end())
                tokens.push_back(merged);
        }
        Json vocab = Json::object();
        for (size_t i = 0; i < tokens.size(); ++i)
            vocab[tokens[i]] = i;
        const auto tokenizer =
            load({{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}});
        for (int w = 0; w < 50; ++w) {
            std::string word;
            const size_t length = 1 + random() % 12;
            for (size_t i = 0; i < length; ++i)
                word.push_back("abcd"[random() % 4]);
            const Encoding encoding = tokenizer->encode(word);
            EXPECT_EQ(encoding.tokens, naiveBpe(word, ranks))
                << "trial " << trial << " word " << word;
        }
    }
}

TEST(BpeOptions, ContinuingSubwordPrefixAndEndOfWordSuffix) {
    // Classic subword BPE: "##" marks non-initial pieces, "</w>" ends a word.
    Json vocab = {{"l", 0}, {"##o", 1}, {"##w</w>", 2}, {"lo", 3}, {"low</w>", 4}, {"##w", 5}};
    const auto tokenizer = load({{"model",
                                  {{"type", "BPE"},
                                   {"vocab", vocab},
                                   {"merges", Json::array({"l ##o", "lo ##w</w>"})},
                                   {"continuing_subword_prefix", "##"},
                                   {"end_of_word_suffix", "</w>"}}},
                                 {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                                 {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}}});
    // "low": l ##o ##w</w> -> lo ##w</w> -> low</w>; "lo" alone: l ##o</w> is unknown.
    const Encoding encoding = tokenizer->encode("low low");
    EXPECT_EQ(encoding.ids, (std::vector<int64_t>{4, 4}));
    EXPECT_EQ(tokenizer->decode(encoding.ids), "low low");
    EXPECT_THROW(tokenizer->encode("lo"), TokenizerError);  // no unk_token, no byte fallback
}

}  // namespace
}  // namespace attnscope::capture
