#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attnscope/analysis/rouge.h"

namespace attnscope::analysis {
namespace {

using Tokens = std::vector<std::string>;

TEST(RougeTokenize, LowercasesSplitsAndStemsLongTokens) {
    EXPECT_EQ(rougeTokenize("The quick-brown FOX, jumped!", false),
              (Tokens{"the", "quick", "brown", "fox", "jumped"}));
    EXPECT_EQ(rougeTokenize("The quick-brown FOX, jumped!", true),
              (Tokens{"the", "quick", "brown", "fox", "jump"}));
    // Tokens longer than 3 characters are stemmed ("cats" -> "cat", "ties" -> "tie");
    // "dog's" splits into "dog" and "s", both too short to stem.
    EXPECT_EQ(rougeTokenize("cats dog's ties", true), (Tokens{"cat", "dog", "s", "tie"}));
    EXPECT_TRUE(rougeTokenize("  ...  ", true).empty());
    EXPECT_EQ(rougeTokenize("agent007 2024", true), (Tokens{"agent007", "2024"}));
    // "was" (3 characters) is left alone although the stemmer would strip its "s".
    EXPECT_EQ(rougeTokenize("was", true), (Tokens{"was"}));
}

TEST(RougeTokenize, NonAsciiFollowsPythonLower) {
    // U+00E9 is not in [a-z0-9]: a separator. U+0130 lowers to "i" + U+0307; U+212A to "k".
    EXPECT_EQ(rougeTokenize("caf\xC3\xA9s", false), (Tokens{"caf", "s"}));
    EXPECT_EQ(rougeTokenize("\xC4\xB0stanbul", false), (Tokens{"i", "stanbul"}));
    EXPECT_EQ(rougeTokenize("\xE2\x84\xAA"
                            "elvin",
                            false),
              (Tokens{"kelvin"}));
}

TEST(Rouge1, RecallPrecisionF1ByHand) {
    // target: take a walk in chaoyang park (6); prediction: i would take a walk in the park (8)
    // overlap: take, a, walk, in, park = 5.
    const RougeScore s = rouge1("take a walk in Chaoyang Park", "I would take a walk in the park.");
    EXPECT_DOUBLE_EQ(s.recall, 5.0 / 6.0);
    EXPECT_DOUBLE_EQ(s.precision, 5.0 / 8.0);
    EXPECT_NEAR(s.fmeasure, 5.0 / 7.0, 1e-12);  // 2 (5/8)(5/6) / (5/8 + 5/6)
}

TEST(Rouge1, StemmingMatchesInflections) {
    // records/record and breaking/broken: only "record" matches after stemming.
    EXPECT_DOUBLE_EQ(rouge1("records were broken", "record was breaking").recall, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(rouge1("records were broken", "record was breaking", false).recall, 0.0);
}

TEST(Rouge1, ClipsCountsAndHandlesEmptyText) {
    // target {the: 2, cat: 1}, prediction {the: 1, cat: 2}: overlap 1 + 1.
    const RougeScore s = rouge1("the the cat", "the cat cat");
    EXPECT_DOUBLE_EQ(s.recall, 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(s.precision, 2.0 / 3.0);
    const RougeScore empty = rouge1("", "");
    EXPECT_EQ(empty.recall, 0.0);
    EXPECT_EQ(empty.fmeasure, 0.0);
    EXPECT_EQ(rouge1("a b", "").recall, 0.0);
}

}  // namespace
}  // namespace attnscope::analysis
