#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "attnscope/analysis/logit_metrics.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

TEST(LogitDifference, MeanOverBatch) {
    const auto logits = matrixFromRows({{1, 2, 3}, {0, 5, 1}});
    // (3 - 1 + 5 - 1) / 2 = 3.
    EXPECT_DOUBLE_EQ(logitDifference(logits, {2, 1}, {0, 2}), 3.0);
    EXPECT_THROW(logitDifference(logits, {2, 3}, {0, 2}), std::invalid_argument);
    EXPECT_THROW(logitDifference(logits, {2}, {0}), std::invalid_argument);
}

TEST(LogitDifference, Normalised) {
    EXPECT_DOUBLE_EQ(normalizedLogitDifference(2.0, 1.0, 3.0), 0.5);
    EXPECT_DOUBLE_EQ(normalizedLogitDifference(3.0, 1.0, 3.0), 1.0);
    EXPECT_DOUBLE_EQ(normalizedLogitDifference(1.0, 1.0, 3.0), 0.0);
    EXPECT_THROW(normalizedLogitDifference(1.0, 2.0, 2.0), std::invalid_argument);
}

TEST(AcdcKl, MatchesKlOfBaseAgainstModel) {
    // Row 0: base (.5, .5), model softmax(ln 3, 0) = (.75, .25): KL = .5 ln(4/3).
    // Row 1: base (.5, .5), model (.5, .5): KL = 0. Mean over the batch.
    const float half = std::log(0.5f);
    const auto base = matrixFromRows({{half, half}, {half, half}});
    const auto logits = matrixFromRows({{std::log(3.0f), 0.0f}, {7.0f, 7.0f}});
    EXPECT_NEAR(acdcKlDivergence(logits, base), 0.5 * 0.5 * std::log(4.0 / 3.0), 1e-7);
}

TEST(AcdcKl, ZeroWhenModelEqualsBaseAndRejectsShapes) {
    const auto logits = matrixFromRows({{0.3f, -1.0f, 2.0f}});
    Eigen::MatrixXf base(1, 3);
    const double m = std::log(std::exp(0.3) + std::exp(-1.0) + std::exp(2.0));
    base << float(0.3 - m), float(-1.0 - m), float(2.0 - m);
    EXPECT_NEAR(acdcKlDivergence(logits, base), 0.0, 1e-6);
    EXPECT_THROW(acdcKlDivergence(logits, matrixFromRows({{0.0f, 0.0f}})), std::invalid_argument);
    EXPECT_THROW(acdcKlDivergence(Eigen::MatrixXf(0, 0), Eigen::MatrixXf(0, 0)),
                 std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
