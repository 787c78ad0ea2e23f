#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/a2sf.h"
#include "attnscope/analysis/heavy_hitter.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

const Eigen::MatrixXf kHead0 = matrixFromRows({{1, 0}, {0.5f, 0.5f}});
const Eigen::MatrixXf kHead1 = matrixFromRows({{1, 0}, {0.25f, 0.75f}});

TEST(A2sf, DecayedSumOverTheGroup) {
    // Group sum: row 0 = (2, 0), row 1 = (0.75, 1.25). lambda = 0.5: 0.5 * row0 + 1 * row1.
    const Eigen::VectorXd s = a2sfGroupScore({kHead0, kHead1}, 0.5);
    EXPECT_NEAR(s[0], 0.5 * 2 + 0.75, 1e-7);  // 1.75
    EXPECT_NEAR(s[1], 0.5 * 0 + 1.25, 1e-7);
}

TEST(A2sf, LambdaOneIsTheH2OScore) {
    const Eigen::VectorXd s = a2sfGroupScore({kHead0, kHead1}, 1.0);
    const Eigen::VectorXd h2o = accumulatedAttention(kHead0) + accumulatedAttention(kHead1);
    EXPECT_TRUE(s.isApprox(h2o, 1e-12));
}

TEST(A2sf, ThreeQueriesPowersOfLambda) {
    const auto a = matrixFromRows({{1, 0, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.2f, 0.6f}});
    // score[0] = 0.9^2 * 1 + 0.9 * 0.5 + 0.2; score[2] = 0.6.
    const Eigen::VectorXd s = a2sfGroupScore({a}, 0.9);
    EXPECT_NEAR(s[0], 0.81 + 0.45 + 0.2, 1e-6);
    EXPECT_NEAR(s[1], 0.45 + 0.2, 1e-6);
    EXPECT_NEAR(s[2], 0.6, 1e-6);
}

TEST(A2sf, GroupsQueryHeadsByKvHead) {
    const Eigen::MatrixXf bos = matrixFromRows({{1, 0}, {1, 0}});
    // 4 query heads, 2 KV heads: heads {0, 1} -> KV 0, {2, 3} -> KV 1.
    const auto scores = a2sfScores({kHead0, kHead1, bos, bos}, 2, 1.0);
    ASSERT_EQ(scores.size(), 2u);
    EXPECT_NEAR(scores[0][0], 2.75, 1e-7);
    EXPECT_NEAR(scores[1][0], 4.0, 1e-7);
    EXPECT_NEAR(scores[1][1], 0.0, 1e-7);
    EXPECT_THROW(a2sfScores({kHead0, kHead1, bos, bos}, 3, 1.0), std::invalid_argument);
}

TEST(A2sf, RejectsBadInput) {
    EXPECT_THROW(a2sfGroupScore({}, 0.5), std::invalid_argument);
    EXPECT_THROW(a2sfGroupScore({kHead0}, 0.0), std::invalid_argument);
    EXPECT_THROW(a2sfGroupScore({kHead0}, 1.5), std::invalid_argument);
    EXPECT_THROW(a2sfGroupScore({kHead0, matrixFromRows({{1}})}, 0.5), std::invalid_argument);
    EXPECT_THROW(a2sfGroupScore({matrixFromRows({{0.5f, 0.4f}})}, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
