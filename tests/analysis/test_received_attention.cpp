#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/received_attention.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

TEST(ReceivedAttention, HandComputed4x4) {
    const auto a = matrixFromRows(
        {{1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {0.6f, 0.2f, 0.2f, 0}, {0.4f, 0.1f, 0.3f, 0.2f}});
    const Eigen::VectorXd alpha = receivedAttention(a);
    ASSERT_EQ(alpha.size(), 4);
    EXPECT_NEAR(alpha[0], (1 + 0.5 + 0.6 + 0.4) / 4.0, 1e-7);  // 0.625
    EXPECT_NEAR(alpha[1], (0.5 + 0.2 + 0.1) / 3.0, 1e-7);      // 0.2667
    EXPECT_NEAR(alpha[2], (0.2 + 0.3) / 2.0, 1e-7);            // 0.25
    EXPECT_NEAR(alpha[3], 0.2, 1e-7);                          // = A[T-1, T-1]
}

TEST(ReceivedAttention, LastKeyIsLastDiagonalOnRandomMaps) {
    for (unsigned seed = 1; seed <= 5; ++seed) {
        const auto a = test::randomCausalMap(7, seed);
        const Eigen::VectorXd alpha = receivedAttention(a);
        EXPECT_NEAR(alpha[6], a(6, 6), 1e-7);
        // Independent check: column sum over all rows (upper part is 0) / (T - k).
        for (int k = 0; k < 7; ++k)
            EXPECT_NEAR(alpha[k], a.col(k).sum() / (7.0 - k), 1e-6);
    }
}

TEST(ReceivedAttention, RejectsNonCausalOrBadRows) {
    EXPECT_THROW(receivedAttention(matrixFromRows({{0.5f, 0.5f}, {0.5f, 0.5f}})),
                 std::invalid_argument);
    EXPECT_THROW(receivedAttention(matrixFromRows({{1, 0}, {0.3f, 0.3f}})), std::invalid_argument);
    EXPECT_THROW(receivedAttention(Eigen::MatrixXf(0, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
