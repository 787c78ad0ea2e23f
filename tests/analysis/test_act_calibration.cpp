#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/act_calibration.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

// alpha = (2.9/4, 0.15/3, 0.9/2, 0.05) = (0.725, 0.05, 0.45, 0.05): keys 0 and 2 exceed 0.1,
// key 0 (the first) is dropped, so K = {2}.
Eigen::MatrixXf hiddenSinkMap() {
    return matrixFromRows({{1, 0, 0, 0},
                           {0.95f, 0.05f, 0, 0},
                           {0.5f, 0.05f, 0.45f, 0},
                           {0.45f, 0.05f, 0.45f, 0.05f}});
}

void expectRowsSumToOne(const AttentionMap& m) {
    for (Eigen::Index q = 0; q < m.rows(); ++q) {
        EXPECT_NEAR(m.row(q).cast<double>().sum(), 1.0, 1e-6) << "row " << q;
    }
}

TEST(ActCalibration, HandComputed4x4) {
    const ActResult r = actCalibrate(hiddenSinkMap());
    ASSERT_EQ(r.hiddenSinks, std::vector<int>({2}));
    EXPECT_DOUBLE_EQ(r.effectiveThreshold, double(0.1f));
    // mean_q A[q, 2] = (0 + 0 + 0.45 + 0.45) / 4.
    EXPECT_NEAR(r.hiddenSinkMass, 0.225, 1e-7);

    const AttentionMap& c = r.calibrated;
    // Rows 0 and 1 put nothing on key 2: unchanged.
    EXPECT_FLOAT_EQ(c(0, 0), 1.0f);
    EXPECT_FLOAT_EQ(c(1, 0), 0.95f);
    EXPECT_FLOAT_EQ(c(1, 1), 0.05f);
    // Row 2: freed = 0.6 * 0.45 = 0.27; A'[2,2] = 0.4 * 0.45 = 0.18; the rest (0.5, 0.05,
    // sum 0.55) grows by the factor 1 + 0.27 / 0.55 = 82/55.
    EXPECT_NEAR(c(2, 0), 0.5 * 82.0 / 55.0, 1e-6);   // 0.74545
    EXPECT_NEAR(c(2, 1), 0.05 * 82.0 / 55.0, 1e-6);  // 0.07455
    EXPECT_NEAR(c(2, 2), 0.18, 1e-6);
    EXPECT_NEAR(c(2, 3), 0.0, 1e-7);
    // Row 3: same freed mass and factor over (0.45, 0.05, -, 0.05).
    EXPECT_NEAR(c(3, 0), 0.45 * 82.0 / 55.0, 1e-6);  // 0.67091
    EXPECT_NEAR(c(3, 1), 0.05 * 82.0 / 55.0, 1e-6);
    EXPECT_NEAR(c(3, 2), 0.18, 1e-6);
    EXPECT_NEAR(c(3, 3), 0.05 * 82.0 / 55.0, 1e-6);
    expectRowsSumToOne(c);
}

TEST(ActCalibration, BetaOneIsIdentityAndBetaZeroEmptiesSinks) {
    const auto a = hiddenSinkMap();
    EXPECT_TRUE(actCalibrate(a, 0.1f, 1.0f).calibrated.isApprox(a, 1e-6f));
    const ActResult zero = actCalibrate(a, 0.1f, 0.0f);
    EXPECT_NEAR(zero.calibrated(3, 2), 0.0, 1e-7);
    // Row 3 then spreads all of 0.45 over (0.45, 0.05, 0.05): factor 1 + 0.45/0.55 = 20/11.
    EXPECT_NEAR(zero.calibrated(3, 0), 0.45 * 20.0 / 11.0, 1e-6);
    expectRowsSumToOne(zero.calibrated);
}

TEST(ActCalibration, RowWithAllMassOnSinksIsLeftUnchanged) {
    // alpha = (2.85/4, 0, 1.1/2, 0.05): K = {2}. Row 2 has all its mass on K: C sums to 0.
    const auto a =
        matrixFromRows({{1, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}, {0.85f, 0, 0.1f, 0.05f}});
    const ActResult r = actCalibrate(a);
    ASSERT_EQ(r.hiddenSinks, std::vector<int>({2}));
    EXPECT_FLOAT_EQ(r.calibrated(2, 2), 1.0f);
    EXPECT_FLOAT_EQ(r.calibrated(2, 0), 0.0f);
    // Row 3: freed 0.06, A'[3,2] = 0.04, factor 1 + 0.06/0.9 over (0.85, 0, -, 0.05).
    EXPECT_NEAR(r.calibrated(3, 0), 0.85 * (1 + 0.06 / 0.9), 1e-6);
    EXPECT_NEAR(r.calibrated(3, 2), 0.04, 1e-6);
    EXPECT_NEAR(r.calibrated(3, 3), 0.05 * (1 + 0.06 / 0.9), 1e-6);
    expectRowsSumToOne(r.calibrated);
}

TEST(ActCalibration, LastTokenBecomesASinkWhenItsSelfAttentionExceedsThreshold) {
    // [QUIRK] alpha[T-1] = A[T-1, T-1] = 0.2 > 0.1, so key 3 is a hidden sink too.
    const auto a = matrixFromRows(
        {{1, 0, 0, 0}, {0.95f, 0.05f, 0, 0}, {0.5f, 0.05f, 0.45f, 0}, {0.3f, 0.05f, 0.45f, 0.2f}});
    const ActResult r = actCalibrate(a);
    EXPECT_EQ(r.hiddenSinks, std::vector<int>({2, 3}));
    // Row 3: mass on K = 0.65, freed 0.39, rest (0.3, 0.05) grows by 1 + 0.39/0.35.
    EXPECT_NEAR(r.calibrated(3, 0), 0.3 * (1 + 0.39 / 0.35), 1e-6);
    EXPECT_NEAR(r.calibrated(3, 3), 0.08, 1e-6);
    expectRowsSumToOne(r.calibrated);
}

TEST(ActCalibration, RelativeThresholdDividesByT) {
    // thres / T = 0.025: keys 0..3 all exceed it (0.725, 0.05, 0.45, 0.05); K = {1, 2, 3}.
    const ActResult r = actCalibrate(hiddenSinkMap(), 0.1f, 0.4f, ThresholdMode::RelativeToUniform);
    EXPECT_NEAR(r.effectiveThreshold, 0.025, 1e-9);
    EXPECT_EQ(r.hiddenSinks, std::vector<int>({1, 2, 3}));
    expectRowsSumToOne(r.calibrated);
}

TEST(ActCalibration, RowSumsStayOneOnRandomMaps) {
    for (unsigned seed = 10; seed < 20; ++seed) {
        const auto a = test::randomCausalMap(12, seed);
        for (float thres : {0.02f, 0.05f, 0.1f}) {
            const ActResult r = actCalibrate(a, thres, 0.4f);
            expectRowsSumToOne(r.calibrated);
            EXPECT_FLOAT_EQ(r.calibrated(0, 0), 1.0f);
            for (std::size_t i = 1; i < r.hiddenSinks.size(); ++i) {
                EXPECT_LT(r.hiddenSinks[i - 1], r.hiddenSinks[i]);
            }
        }
    }
}

TEST(ActCalibration, RejectsBadInput) {
    EXPECT_THROW(actCalibrate(matrixFromRows({{0.5f, 0.5f}, {0.5f, 0.5f}})), std::invalid_argument);
    EXPECT_THROW(actCalibrate(matrixFromRows({{1, 0, 0}, {0.5f, 0.5f, 0}})), std::invalid_argument);
    EXPECT_THROW(actCalibrate(hiddenSinkMap(), 0.1f, 1.5f), std::invalid_argument);
    EXPECT_THROW(actCalibrate(hiddenSinkMap(), -0.1f), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
