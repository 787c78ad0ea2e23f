#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/sink_metrics.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

Eigen::MatrixXf fourByFour() {
    return matrixFromRows(
        {{1, 0, 0, 0}, {0.5f, 0.5f, 0, 0}, {0.6f, 0.2f, 0.2f, 0}, {0.4f, 0.1f, 0.3f, 0.2f}});
}

TEST(SinkMass, HandComputed) {
    // S = 1: queries 1..3 on key 0: (0.5 + 0.6 + 0.4) / 3 = 0.5.
    EXPECT_NEAR(sinkMass(fourByFour(), 1), 0.5, 1e-7);
    // S = 2: queries 2, 3 on keys 0, 1: ((0.6 + 0.2) + (0.4 + 0.1)) / 2 = 0.65.
    EXPECT_NEAR(sinkMass(fourByFour(), 2), 0.65, 1e-7);
    // S = 3: query 3 on keys 0..2: 0.4 + 0.1 + 0.3 = 0.8.
    EXPECT_NEAR(sinkMass(fourByFour(), 3), 0.8, 1e-7);
}

TEST(SinkMass, GuardsShortSequencesAndBadWindow) {
    EXPECT_THROW(sinkMass(fourByFour(), 4), std::invalid_argument);  // T <= S, default S = 4
    EXPECT_THROW(sinkMass(fourByFour()), std::invalid_argument);
    EXPECT_THROW(sinkMass(fourByFour(), 0), std::invalid_argument);
}

SampleAlphas sample(std::vector<Eigen::VectorXd> perHead, int layers, int heads) {
    SampleAlphas s;
    s.layers = layers;
    s.heads = heads;
    s.perHead = std::move(perHead);
    return s;
}

Eigen::VectorXd vec(std::initializer_list<double> v) {
    Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
    Eigen::Index i = 0;
    for (double x : v)
        out[i++] = x;
    return out;
}

TEST(SinkRate, HandComputedOverTwoSamples) {
    // 1 layer x 2 heads. alpha[.,.,0]: sample 1 = (0.5, 0.2), sample 2 = (0.2, 0.35).
    const std::vector<SampleAlphas> samples = {
        sample({vec({0.5, 0.1}), vec({0.2, 0.9})}, 1, 2),
        sample({vec({0.2, 0.4, 0.1}), vec({0.35, 0.2, 0.05})}, 1, 2)};
    const SinkRateResult r = sinkRate(samples);
    // Indicators alpha > 0.3: 1, 0, 0, 1 -> 2 of 4 = 50%.
    EXPECT_DOUBLE_EQ(r.ratePercent, 50.0);
    EXPECT_NEAR(r.meanAlpha.at(0, 0), 0.35, 1e-12);   // (0.5 + 0.2) / 2
    EXPECT_NEAR(r.meanAlpha.at(0, 1), 0.275, 1e-12);  // (0.2 + 0.35) / 2
    EXPECT_EQ(r.isSinkHead.at(0, 0), 1.0);
    EXPECT_EQ(r.isSinkHead.at(0, 1), 0.0);

    // k = 1: alphas (0.1, 0.9) and (0.4, 0.2): indicators 0, 1, 1, 0 -> 50%; means 0.25, 0.55.
    const SinkRateResult r1 = sinkRate(samples, 0.3, 1);
    EXPECT_DOUBLE_EQ(r1.ratePercent, 50.0);
    EXPECT_EQ(r1.isSinkHead.at(0, 0), 0.0);
    EXPECT_EQ(r1.isSinkHead.at(0, 1), 1.0);
}

TEST(SinkRate, ThresholdIsStrict) {
    const std::vector<SampleAlphas> samples = {sample({vec({0.3})}, 1, 1)};
    EXPECT_DOUBLE_EQ(sinkRate(samples, 0.3).ratePercent, 0.0);
    EXPECT_DOUBLE_EQ(sinkRate(samples, 0.29).ratePercent, 100.0);
}

TEST(SinkRate, RejectsInconsistentInput) {
    EXPECT_THROW(sinkRate({}), std::invalid_argument);
    EXPECT_THROW(sinkRate({sample({vec({0.5})}, 1, 1), sample({vec({0.5}), vec({0.5})}, 1, 2)}),
                 std::invalid_argument);
    EXPECT_THROW(sinkRate({sample({vec({0.5})}, 1, 1)}, 0.3, 1), std::invalid_argument);
    EXPECT_THROW(sinkRate({sample({vec({0.5})}, 1, 2)}), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
