#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "attnscope/analysis/gships.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

// M [N=3, D=2]: the top left singular vector is e1 (singular value 3 > 1).
Eigen::MatrixXf base() {
    return matrixFromRows({{3, 0}, {0, 1}, {0, 0}});
}

TEST(GShips, FortyFiveDegrees) {
    // M_A: column 0 is (2, 0, 2), norm 2 sqrt 2 > 1, so u_A = (1, 0, 1) / sqrt 2 and
    // |u^T u_A| = 1 / sqrt 2 -> 45 degrees.
    EXPECT_NEAR(gshipsAngle(base(), matrixFromRows({{2, 0}, {0, 1}, {2, 0}})), 45.0, 1e-9);
}

TEST(GShips, SignOfSingularVectorsDoesNotMatter) {
    EXPECT_NEAR(gshipsAngle(base(), -base()), 0.0, 1e-5);
    EXPECT_NEAR(gshipsAngle(base(), matrixFromRows({{-2, 0}, {0, 1}, {2, 0}})), 45.0, 1e-9);
}

TEST(GShips, IdenticalIsZeroOrthogonalIsNinety) {
    EXPECT_NEAR(gshipsAngle(base(), base()), 0.0, 1e-5);
    // M_A's top left singular vector is e3, orthogonal to e1.
    EXPECT_NEAR(gshipsAngle(base(), matrixFromRows({{0, 0}, {0, 1}, {3, 0}})), 90.0, 1e-9);
}

TEST(GShips, RankTwoSumsPrincipalAngles) {
    // span(e1, e2) against span(e1, e3): principal angles 0 and 90 degrees.
    const auto m = matrixFromRows({{3, 0}, {0, 2}, {0, 0}});
    const auto mA = matrixFromRows({{3, 0}, {0, 0}, {0, 2}});
    EXPECT_NEAR(gshipsAngle(m, mA, 2), 90.0, 1e-6);
    // Rank 1 of the same pair: e1 against e1.
    EXPECT_NEAR(gshipsAngle(m, mA, 1), 0.0, 1e-5);
}

TEST(GShips, RejectsBadInput) {
    EXPECT_THROW(gshipsAngle(base(), matrixFromRows({{1, 0}, {0, 1}})), std::invalid_argument);
    EXPECT_THROW(gshipsAngle(base(), base(), 0), std::invalid_argument);
    EXPECT_THROW(gshipsAngle(base(), base(), 3), std::invalid_argument);
    EXPECT_THROW(gshipsAngle(Eigen::MatrixXf(0, 0), Eigen::MatrixXf(0, 0)), std::invalid_argument);
    auto nan = base();
    nan(0, 0) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(gshipsAngle(base(), nan), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
