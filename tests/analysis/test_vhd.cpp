#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/vhd.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

TEST(Vhd, PerHeadL2Distances) {
    const HeadTable d =
        vhdDistances({matrixFromRows({{3, 4}, {0, 0}}), matrixFromRows({{1, 1}, {2, 2}})},
                     {matrixFromRows({{0, 0}, {0, 0}}), matrixFromRows({{1, 1}, {2, 5}})});
    EXPECT_DOUBLE_EQ(d.at(0, 0), 5.0);  // |(3, 4)|
    EXPECT_DOUBLE_EQ(d.at(0, 1), 0.0);
    EXPECT_DOUBLE_EQ(d.at(1, 0), 0.0);
    EXPECT_DOUBLE_EQ(d.at(1, 1), 3.0);  // |(0, -3)|
    EXPECT_DOUBLE_EQ(tVhd(d, 2), 4.0);  // (5 + 3) / 2
    EXPECT_DOUBLE_EQ(tVhd(d, 1), 5.0);
    EXPECT_THROW(tVhd(d, 5), std::invalid_argument);
    EXPECT_THROW(tVhd(d, 0), std::invalid_argument);
}

TEST(Vhd, DefaultTopKIsFivePercentRoundedUp) {
    EXPECT_EQ(vhdDefaultTopK(1024), 52);  // 51.2
    EXPECT_EQ(vhdDefaultTopK(20), 1);     // exactly 1
    EXPECT_EQ(vhdDefaultTopK(30), 2);     // 1.5
    EXPECT_EQ(vhdDefaultTopK(4), 1);      // at least one
    EXPECT_THROW(vhdDefaultTopK(0), std::invalid_argument);
}

TEST(Vhd, RejectsMismatchedShapes) {
    EXPECT_THROW(vhdDistances({matrixFromRows({{1, 2}})}, {}), std::invalid_argument);
    EXPECT_THROW(vhdDistances({matrixFromRows({{1, 2}})}, {matrixFromRows({{1, 2, 3}})}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
