#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "attnscope/analysis/dormant_metrics.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;
constexpr float kMasked = -std::numeric_limits<float>::infinity();

TEST(SinkLogitGap, AveragesOverVisibleKeysOnly) {
    const auto s = matrixFromRows({{2, kMasked, kMasked}, {3, 1, kMasked}, {4, 1, 1}});
    EXPECT_DOUBLE_EQ(sinkLogitGap(s, 0), 0.0);  // 2 - 2
    EXPECT_DOUBLE_EQ(sinkLogitGap(s, 1), 1.0);  // 3 - (3 + 1) / 2
    EXPECT_DOUBLE_EQ(sinkLogitGap(s, 2), 2.0);  // 4 - (4 + 1 + 1) / 3
    const Eigen::VectorXd all = sinkLogitGaps(s);
    EXPECT_DOUBLE_EQ(all[1], 1.0);
    EXPECT_DOUBLE_EQ(all[2], 2.0);
}

TEST(SinkLogitGap, RejectsBadInput) {
    const auto s = matrixFromRows({{2, kMasked}, {3, 1}});
    EXPECT_THROW(sinkLogitGap(s, 2), std::invalid_argument);
    EXPECT_THROW(sinkLogitGap(s, -1), std::invalid_argument);
    EXPECT_THROW(sinkLogitGap(matrixFromRows({{1, 2, 3}}), 0), std::invalid_argument);
    const auto bad = matrixFromRows({{2, kMasked}, {kMasked, 1}});
    EXPECT_THROW(sinkLogitGap(bad, 1), std::invalid_argument);
}

TEST(ValueDrain, NormsOfProjectedValues) {
    // W_O [D=3, d=2]; v [T=2, d=2].
    const auto w = matrixFromRows({{1, 0}, {0, 1}, {1, 1}});
    const auto v = matrixFromRows({{3, 4}, {0, 0.5f}});
    const Eigen::VectorXd n = valueDrainNorms(w, v);
    EXPECT_NEAR(n[0], std::sqrt(9.0 + 16.0 + 49.0), 1e-9);  // W v0 = (3, 4, 7)
    EXPECT_NEAR(n[1], std::sqrt(0.5), 1e-7);                // W v1 = (0, .5, .5)
    EXPECT_THROW(valueDrainNorms(w, matrixFromRows({{1, 2, 3}})), std::invalid_argument);
    EXPECT_THROW(valueDrainNorms(Eigen::MatrixXf(0, 2), v), std::invalid_argument);
}

TEST(ValueDrain, TopSinksAndComparison) {
    Eigen::VectorXd alpha(4);
    alpha << 0.1, 0.5, 0.5, 0.3;
    EXPECT_EQ(topSinkKeys(alpha), std::vector<int>({1, 2}));  // tie -> lower index first
    EXPECT_EQ(topSinkKeys(alpha, 3), std::vector<int>({1, 2, 3}));
    EXPECT_THROW(topSinkKeys(alpha, 5), std::invalid_argument);

    Eigen::VectorXd norms(4);
    norms << 0.1, 2.0, 3.0, 0.2;
    const ValueDrainComparison c = compareValueDrain(norms, {0, 3});
    EXPECT_DOUBLE_EQ(c.sinkMean, 0.15);
    EXPECT_DOUBLE_EQ(c.nonSinkMin, 2.0);
    EXPECT_DOUBLE_EQ(c.nonSinkMax, 3.0);
    EXPECT_THROW(compareValueDrain(norms, {}), std::invalid_argument);
    EXPECT_THROW(compareValueDrain(norms, {4}), std::invalid_argument);
    EXPECT_THROW(compareValueDrain(norms, {0, 0}), std::invalid_argument);
    EXPECT_THROW(compareValueDrain(norms, {0, 1, 2, 3}), std::invalid_argument);
}

TEST(ResidualPeak, BosAgainstTheRest) {
    const ResidualPeak p = residualPeak(matrixFromRows({{3, 4}, {1, 0}, {0, 2}}));
    EXPECT_DOUBLE_EQ(p.bosNorm, 5.0);
    EXPECT_DOUBLE_EQ(p.maxOtherNorm, 2.0);
    EXPECT_EQ(p.argmaxOther, 2);
    EXPECT_DOUBLE_EQ(p.ratio, 2.5);
    EXPECT_THROW(residualPeak(matrixFromRows({{1, 2}})), std::invalid_argument);
}

TEST(DormantRule, ReportsBothComponents) {
    const HeadTable bos(1, 4, std::vector<double>{0.95, 0.95, 0.5, 0.9});
    const HeadTable dce(1, 4, std::vector<double>{0.005, 0.02, -0.001, -0.009});
    const DormantVerdicts v = dormantRule(bos, dce);
    EXPECT_EQ(v.sinkDominated.values, std::vector<double>({1, 1, 0, 1}));  // >= 0.9
    EXPECT_EQ(v.lossNeutral.values, std::vector<double>({1, 0, 1, 1}));    // |d| < 0.01
    EXPECT_EQ(v.dormant.values, std::vector<double>({1, 0, 0, 1}));

    DormantParams strict;
    strict.bosThreshold = 0.96;
    strict.lossDelta = 0.001;
    EXPECT_EQ(dormantRule(bos, dce, strict).dormant.values, std::vector<double>({0, 0, 0, 0}));
    EXPECT_THROW(dormantRule(bos, HeadTable(1, 3)), std::invalid_argument);
}

TEST(DormantRule, BosMassIsMeanOfFirstColumn) {
    const auto a = matrixFromRows(
        {{1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {0.6f, 0.2f, 0.2f, 0}, {0.4f, 0.1f, 0.3f, 0.2f}});
    EXPECT_NEAR(bosMass(a), 2.5 / 4.0, 1e-7);
}

}  // namespace
}  // namespace attnscope::analysis
