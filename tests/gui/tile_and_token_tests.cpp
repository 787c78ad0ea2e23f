#include "attnscope/ui/attention_tile.h"
#include "attnscope/ui/token_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace attnscope::ui;

namespace {

AttentionMapSnapshot map(int rows, int cols) {
    AttentionMapSnapshot m;
    m.rows = rows;
    m.cols = cols;
    for (int q = 0; q < rows; ++q) {
        m.rowTokens << QStringLiteral("q%1").arg(q);
        for (int k = 0; k < cols; ++k)
            m.values.push_back(std::sin(q * 1.7f + k * 0.3f));
    }
    for (int k = 0; k < cols; ++k)
        m.colTokens << QStringLiteral("k%1").arg(k);
    return m;
}

}  // namespace

TEST(MakeTile, CopiesWhenSmallEnough) {
    const AttentionMapSnapshot full = map(6, 8);
    const AttentionMapSnapshot t = makeTile(full, 1, 4, 2, 7, 100);
    ASSERT_EQ(t.rows, 3);
    ASSERT_EQ(t.cols, 5);
    EXPECT_EQ(t.rowOffset, 1);
    EXPECT_EQ(t.colOffset, 2);
    EXPECT_EQ(t.effectiveRowExtent(), 3);
    for (int q = 0; q < 3; ++q)
        for (int k = 0; k < 5; ++k)
            EXPECT_EQ(t.at(q, k), full.at(q + 1, k + 2));
    EXPECT_EQ(t.rowTokens, (QStringList{"q1", "q2", "q3"}));
    EXPECT_EQ(t.colTokens.front(), QStringLiteral("k2"));
}

TEST(MakeTile, MaxPoolsEachCellOverItsSourceBlock) {
    const AttentionMapSnapshot full = map(23, 17);
    const int maxCells = 5;
    const AttentionMapSnapshot t = makeTile(full, 0, 23, 0, 17, maxCells);
    ASSERT_EQ(t.rows, 5);
    ASSERT_EQ(t.cols, 5);
    EXPECT_EQ(t.effectiveRowExtent(), 23);
    EXPECT_EQ(t.effectiveColExtent(), 17);
    // Documented binning: source position i belongs to bin floor(i * bins / n).
    for (int r = 0; r < t.rows; ++r) {
        for (int c = 0; c < t.cols; ++c) {
            float expected = -INFINITY;
            for (int q = 0; q < 23; ++q)
                for (int k = 0; k < 17; ++k)
                    if (q * 5 / 23 == r && k * 5 / 17 == c)
                        expected = std::max(expected, full.at(q, k));
            EXPECT_EQ(t.at(r, c), expected) << r << "," << c;
        }
    }
    EXPECT_EQ(*std::max_element(t.values.begin(), t.values.end()),
              *std::max_element(full.values.begin(), full.values.end()));
}

TEST(MakeTile, MaxAbsKeepsSign) {
    AttentionMapSnapshot full;
    full.rows = 4;
    full.cols = 4;
    full.values.assign(16, 0.1f);
    full.values[5] = -0.9f;
    const AttentionMapSnapshot t = makeTile(full, 0, 4, 0, 4, 2, TilePooling::MaxAbs);
    EXPECT_EQ(t.at(0, 0), -0.9f);
    EXPECT_EQ(t.at(1, 1), 0.1f);
}

TEST(MakeTile, ClampsRanges) {
    const AttentionMapSnapshot t = makeTile(map(4, 4), -3, 99, 2, 99, 10);
    EXPECT_EQ(t.rows, 4);
    EXPECT_EQ(t.cols, 2);
    EXPECT_EQ(t.colOffset, 2);
    EXPECT_FALSE(makeTile(map(4, 4), 3, 3, 0, 4, 10).isValid());
}

TEST(TokenText, MakesWhitespaceVisibleAndElides) {
    EXPECT_EQ(displayToken(QStringLiteral(" the\n")),
              QString(QChar(0x2423)) + QStringLiteral("the\\n"));
    EXPECT_EQ(displayToken(QStringLiteral("a\tb")), QStringLiteral("a\\tb"));
    EXPECT_EQ(elidedToken(QStringLiteral("abcdefgh"), 4), QStringLiteral("abc") + QChar(0x2026));
    EXPECT_EQ(elidedToken(QStringLiteral("abc"), 4), QStringLiteral("abc"));
}
