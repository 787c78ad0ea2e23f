#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/heavy_hitter.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

TEST(HeavyHitter, PrefillColumnSums) {
    const auto a = matrixFromRows(
        {{1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {0.6f, 0.2f, 0.2f, 0}, {0.4f, 0.1f, 0.3f, 0.2f}});
    const Eigen::VectorXd acc = accumulatedAttention(a);
    EXPECT_NEAR(acc[0], 2.5, 1e-6);  // 1 + .5 + .6 + .4
    EXPECT_NEAR(acc[1], 0.8, 1e-6);  // .5 + .2 + .1
    EXPECT_NEAR(acc[2], 0.5, 1e-6);
    EXPECT_NEAR(acc[3], 0.2, 1e-6);
}

TEST(HeavyHitter, DecodeStepsExtendTheScore) {
    Eigen::VectorXd acc = accumulatedAttention(matrixFromRows({{1, 0}, {0.5f, 0.5f}}));
    // New token 2 starts with its fresh column sum.
    accumulateAttention(acc, matrixFromRows({{0.2f, 0.3f, 0.5f}}));
    ASSERT_EQ(acc.size(), 3);
    EXPECT_NEAR(acc[0], 1.7, 1e-6);
    EXPECT_NEAR(acc[1], 0.8, 1e-6);
    EXPECT_NEAR(acc[2], 0.5, 1e-6);
    EXPECT_THROW(accumulateAttention(acc, matrixFromRows({{0.5f, 0.5f}})), std::invalid_argument);
    EXPECT_THROW(accumulateAttention(acc, matrixFromRows({{0.5f, 0.2f, 0.2f}})),
                 std::invalid_argument);
}

TEST(HeavyHitter, Concentration) {
    Eigen::VectorXd acc(10);
    acc << 5, 1, 1, 1, 1, 1, 0, 0, 0, 0;
    EXPECT_DOUBLE_EQ(hhConcentration(acc), 0.5);       // top int(0.1 * 10) = 1 key: 5 / 10
    EXPECT_DOUBLE_EQ(hhConcentration(acc, 0.3), 0.7);  // top 3: (5 + 1 + 1) / 10
    EXPECT_DOUBLE_EQ(hhConcentration(acc, 1.0), 1.0);
    Eigen::VectorXd small(4);
    small << 1, 3, 0, 0;
    EXPECT_DOUBLE_EQ(hhConcentration(small), 0.75);  // int(0.4) = 0 -> at least 1 key
    EXPECT_THROW(hhConcentration(Eigen::VectorXd::Zero(3)), std::invalid_argument);
    EXPECT_THROW(hhConcentration(acc, 0.0), std::invalid_argument);
    EXPECT_THROW(hhConcentration(Eigen::VectorXd()), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
