#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {
namespace {

TEST(HeadTable, FillsAndIndexesRowMajor) {
    HeadTable t(2, 3, 0.5);
    EXPECT_EQ(t.size(), 6);
    EXPECT_EQ(t.values.size(), 6u);
    t.at(1, 2) = 7.0;
    // Row-major: layer 1, head 2 is element 1 * 3 + 2 = 5.
    EXPECT_EQ(t.values[5], 7.0);
    EXPECT_EQ(t.indexOf(1, 0), 3u);
    EXPECT_EQ(t.at(HeadId{0, 0}), 0.5);
}

TEST(HeadTable, WrapsValues) {
    const HeadTable t(2, 2, std::vector<double>{1, 2, 3, 4});
    EXPECT_EQ(t.at(0, 1), 2.0);
    EXPECT_EQ(t.at(1, 0), 3.0);
}

TEST(HeadTable, RejectsBadShapesAndIndices) {
    EXPECT_THROW(HeadTable(-1, 2), std::invalid_argument);
    EXPECT_THROW(HeadTable(2, 2, std::vector<double>{1, 2, 3}), std::invalid_argument);
    HeadTable t(2, 2);
    EXPECT_THROW(t.at(2, 0), std::out_of_range);
    EXPECT_THROW(t.at(0, -1), std::out_of_range);
}

TEST(HeadId, ComparesRowMajor) {
    EXPECT_TRUE((HeadId{0, 5} < HeadId{1, 0}));
    EXPECT_TRUE((HeadId{1, 0} < HeadId{1, 1}));
    EXPECT_FALSE((HeadId{1, 1} < HeadId{1, 1}));
    EXPECT_EQ((HeadId{2, 3}), (HeadId{2, 3}));
    EXPECT_NE((HeadId{2, 3}), (HeadId{3, 2}));
}

TEST(TopHeads, LargestFirstTiesRowMajorNaNSkipped) {
    const HeadTable t(2, 3, std::vector<double>{0.2, std::nan(""), 0.9, 0.5, 0.9, 0.1});
    EXPECT_EQ(topHeads(t, 3), (std::vector<HeadId>{{0, 2}, {1, 1}, {1, 0}}));
    EXPECT_EQ(topHeads(t, 10).size(), 5u);  // the NaN head is left out
    EXPECT_TRUE(topHeads(t, 0).empty());
    EXPECT_THROW(topHeads(t, -1), std::invalid_argument);
}

TEST(ExpandKvHeads, EachQueryHeadTakesItsGroupsKvHead) {
    // 2 layers x 2 KV heads, 6 query heads: groups of 3 (heads 0-2 -> kv 0, 3-5 -> kv 1).
    const HeadTable kv(2, 2, std::vector<double>{1, 2, 3, std::nan("")});
    const HeadTable q = expandKvHeads(kv, 6);
    ASSERT_EQ(q.layers, 2);
    ASSERT_EQ(q.heads, 6);
    for (int h = 0; h < 3; ++h) {
        EXPECT_EQ(q.at(0, h), 1);
        EXPECT_EQ(q.at(0, h + 3), 2);
        EXPECT_EQ(q.at(1, h), 3);
        EXPECT_TRUE(std::isnan(q.at(1, h + 3)));
    }
    EXPECT_EQ(expandKvHeads(q, 6).values.size(), q.values.size());  // already per query head
    EXPECT_THROW(expandKvHeads(kv, 5), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
