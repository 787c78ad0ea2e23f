// The shared fixtures: ids that independent reference encoders produced for GPT-2 (r50k) and
// cl100k, which both vocabulary formats must reproduce exactly.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/capture/tokenizer.h"
#include "fixture_paths.h"

namespace attnscope::capture {
namespace {

struct Case {
    std::string text;
    std::vector<int64_t> ids;
};

std::vector<Case> readExpected(const std::filesystem::path& file) {
    std::ifstream in(file);
    const nlohmann::json document = nlohmann::json::parse(in);
    std::vector<Case> cases;
    for (const auto& item : document)
        cases.push_back(
            {item.at("text").get<std::string>(), item.at("ids").get<std::vector<int64_t>>()});
    return cases;
}

// The bytes a byte-level token stands for, from GPT-2's published mapping rule: printable
// Latin-1 bytes are themselves, the other bytes are U+0100 onwards in byte order.
std::string byteLevelBytes(const std::string& token) {
    std::vector<int> byteOfCodePoint(400, -1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        byteOfCodePoint[printable ? b : next++] = b;
    }
    std::string bytes;
    for (size_t i = 0; i < token.size();) {
        const auto lead = static_cast<unsigned char>(token[i]);
        int codePoint = lead;
        size_t length = 1;
        if (lead >= 0xC0) {
            length = 2;
            codePoint = ((lead & 0x1F) << 6) | (static_cast<unsigned char>(token[i + 1]) & 0x3F);
        }
        EXPECT_LT(codePoint, 400) << "token " << token;
        bytes.push_back(static_cast<char>(byteOfCodePoint.at(static_cast<size_t>(codePoint))));
        i += length;
    }
    return bytes;
}

size_t codePointCount(std::string_view text) {
    size_t count = 0;
    for (const char c : text)
        count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return count;
}

void checkAgainstFixture(const Tokenizer& tokenizer, const std::vector<Case>& cases) {
    EncodeOptions plain;
    plain.addSpecialTokens = false;
    plain.parseSpecialTokens = false;  // the reference encoders treat "<|endoftext|>" as text
    for (const Case& c : cases) {
        const Encoding encoding = tokenizer.encode(c.text, plain);
        ASSERT_EQ(encoding.ids, c.ids) << "text: " << c.text;
        EXPECT_EQ(tokenizer.decode(c.ids), c.text);
        ASSERT_EQ(encoding.tokens.size(), encoding.ids.size());
        ASSERT_EQ(encoding.byteSpans.size(), encoding.ids.size());
        ASSERT_EQ(encoding.charSpans.size(), encoding.ids.size());
        size_t expectedBegin = 0;
        for (size_t i = 0; i < encoding.ids.size(); ++i) {
            const auto [begin, end] = encoding.byteSpans[i];
            // Byte-level spans tile the text and hold exactly the token's bytes.
            EXPECT_EQ(begin, expectedBegin) << c.text << " token " << i;
            EXPECT_EQ(c.text.substr(begin, end - begin), byteLevelBytes(encoding.tokens[i]))
                << c.text << " token " << i;
            expectedBegin = end;
            // Character spans: the characters that the token's bytes touch.
            const auto [charBegin, charEnd] = encoding.charSpans[i];
            size_t firstChar = codePointCount(c.text.substr(0, begin));
            if (begin < c.text.size() && (static_cast<unsigned char>(c.text[begin]) & 0xC0) == 0x80)
                firstChar -= 1;
            EXPECT_EQ(charBegin, firstChar);
            EXPECT_EQ(charEnd, codePointCount(c.text.substr(0, end)));
        }
        EXPECT_EQ(expectedBegin, c.text.size());
    }
}

const std::filesystem::path kGpt2 = test::fixturesDir() / "tokenizers" / "gpt2";
const std::filesystem::path kCl100k = test::fixturesDir() / "tokenizers" / "cl100k";

TEST(TokenizerFixtures, Gpt2TokenizerJsonReproducesReferenceIds) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    const auto tokenizer = Tokenizer::fromTokenizerJson(kGpt2 / "tokenizer.json");
    EXPECT_EQ(tokenizer->vocabSize(), 50257);
    checkAgainstFixture(*tokenizer, readExpected(kGpt2 / "expected.json"));
}

TEST(TokenizerFixtures, Gpt2VocabAndMergesReproduceReferenceIds) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    const auto tokenizer =
        Tokenizer::fromVocabAndMerges(kGpt2 / "vocab.json", kGpt2 / "merges.txt");
    EXPECT_EQ(tokenizer->vocabSize(), 50257);
    checkAgainstFixture(*tokenizer, readExpected(kGpt2 / "expected.json"));
}

TEST(TokenizerFixtures, Gpt2ModelFolderPrefersTokenizerJson) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    const auto tokenizer = Tokenizer::fromModelFolder(kGpt2);
    checkAgainstFixture(*tokenizer, readExpected(kGpt2 / "expected.json"));
    EXPECT_EQ(tokenizer->eosId(), 50256);
}

TEST(TokenizerFixtures, Cl100kSplitRegexByteLevelReproducesReferenceIds) {
    ATTNSCOPE_REQUIRE_FIXTURE(kCl100k);
    const auto tokenizer = Tokenizer::fromTokenizerJson(kCl100k / "tokenizer.json");
    checkAgainstFixture(*tokenizer, readExpected(kCl100k / "expected.json"));
}

TEST(TokenizerFixtures, SpecialTokensAreMatchedByDefault) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    const auto tokenizer = Tokenizer::fromTokenizerJson(kGpt2 / "tokenizer.json");
    const std::string text = "Hello<|endoftext|> world";
    const Encoding withSpecial = tokenizer->encode(text);
    // "Hello" is one GPT-2 token; the special token follows with its own span.
    ASSERT_EQ(withSpecial.ids.size(), 3u);
    EXPECT_EQ(withSpecial.ids[1], 50256);
    EXPECT_EQ(withSpecial.byteSpans[1], std::make_pair(size_t{5}, size_t{18}));
    EXPECT_EQ(withSpecial.ids[0], *tokenizer->tokenToId("Hello"));
    EXPECT_EQ(withSpecial.ids[2], *tokenizer->tokenToId("\xC4\xA0world"));  // "Ġworld"
    EXPECT_EQ(tokenizer->decode(withSpecial.ids), text);
    EXPECT_EQ(tokenizer->decode(withSpecial.ids, /*skipSpecialTokens=*/true), "Hello world");
}

TEST(TokenizerFixtures, SplitSpecialTokensAppliesToEveryEncode) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    auto tokenizer = Tokenizer::fromTokenizerJson(kGpt2 / "tokenizer.json");
    EXPECT_FALSE(tokenizer->splitSpecialTokens());
    tokenizer->setSplitSpecialTokens(true);
    EXPECT_TRUE(tokenizer->splitSpecialTokens());
    // Even with the default options, texts encode as the reference encoders (no special-token
    // handling) encode them, "<|endoftext|>" included.
    int withSpecialText = 0;
    for (const Case& c : readExpected(kGpt2 / "expected.json")) {
        EXPECT_EQ(tokenizer->encode(c.text, false).ids, c.ids) << "text: " << c.text;
        withSpecialText += c.text.find("<|endoftext|>") != std::string::npos;
    }
    EXPECT_GT(withSpecialText, 0);
    tokenizer->setSplitSpecialTokens(false);
    EXPECT_EQ(tokenizer->encode("<|endoftext|>").ids, std::vector<int64_t>{50256});
}

TEST(TokenizerFixtures, LongTextRoundTripsAndIsConsistentWithWordByWordEncoding) {
    ATTNSCOPE_REQUIRE_FIXTURE(kGpt2);
    const auto tokenizer = Tokenizer::fromTokenizerJson(kGpt2 / "tokenizer.json");
    std::string text;
    std::vector<int64_t> expected;
    EncodeOptions plain;
    plain.parseSpecialTokens = false;
    // A single newline between texts that neither start nor end with whitespace is a word of
    // its own under GPT-2's regex, so the concatenation must encode to the concatenated ids.
    for (const Case& c : readExpected(kGpt2 / "expected.json")) {
        if (c.text.empty() || c.text.back() == ' ' || c.text.back() == '\n' ||
            c.text.front() == ' ' || c.text.front() == '\n')
            continue;
        if (!text.empty()) {
            text += "\n";
            const auto separator = tokenizer->encode("\n", plain).ids;
            expected.insert(expected.end(), separator.begin(), separator.end());
        }
        text += c.text;
        expected.insert(expected.end(), c.ids.begin(), c.ids.end());
    }
    EXPECT_EQ(tokenizer->encode(text, plain).ids, expected);
    EXPECT_EQ(tokenizer->decode(expected), text);
}

}  // namespace
}  // namespace attnscope::capture
