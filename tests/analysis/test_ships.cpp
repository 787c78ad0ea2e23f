#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "attnscope/analysis/ships.h"
#include "attnscope/analysis/softmax.h"

namespace attnscope::analysis {
namespace {

TEST(Softmax, Fp32MatchesHandValues) {
    const std::vector<float> p = softmaxFp32({std::log(3.0f), 0.0f});
    EXPECT_NEAR(p[0], 0.75f, 1e-7f);
    EXPECT_NEAR(p[1], 0.25f, 1e-7f);
    // Shift invariance and no overflow for large logits.
    const std::vector<float> big = softmaxFp32({1000.0f + std::log(3.0f), 1000.0f});
    EXPECT_NEAR(big[0], 0.75f, 1e-4f);
    EXPECT_THROW(softmaxFp32({}), std::invalid_argument);
    EXPECT_THROW(softmaxFp32({std::numeric_limits<float>::infinity()}), std::invalid_argument);
}

TEST(ShipsKl, TwoTokenByHand) {
    // p = (.5, .5), p' = (.75, .25): KL = .5 ln(.5/.75) + .5 ln(.5/.25) = .5 ln(4/3).
    const double kl = shipsKl({0.0f, 0.0f}, {std::log(3.0f), 0.0f});
    EXPECT_NEAR(kl, 0.5 * std::log(4.0 / 3.0), 1e-7);
    EXPECT_NEAR(kl, 0.143841036, 1e-7);
}

TEST(ShipsKl, ZeroForIdenticalDistributions) {
    EXPECT_NEAR(shipsKl({1.0f, 2.0f, 3.0f}, {11.0f, 12.0f, 13.0f}), 0.0, 1e-7);
}

TEST(ShipsKl, EpsilonKeepsZeroProbabilitiesFinite) {
    // exp(-200) underflows to 0 in fp32, so p' = (1, 0) exactly and p = (.5, .5):
    // sum (p + eps) ln((p + eps) / (p' + eps)) with eps = 1e-12, written out.
    const double eps = 1e-12;
    const double a = 0.5 + eps;
    const double expected = a * std::log(a / (1.0 + eps)) + a * std::log(a / (0.0 + eps));
    const double kl = shipsKl({0.0f, 0.0f}, {0.0f, -200.0f});
    EXPECT_TRUE(std::isfinite(kl));
    EXPECT_NEAR(kl, expected, 1e-9);
    EXPECT_NEAR(kl, 0.5 * std::log(0.5) + 0.5 * std::log(0.5e12), 1e-9);  // ~13.12
}

TEST(ShipsKl, RejectsBadInput) {
    EXPECT_THROW(shipsKl({0.0f}, {0.0f, 1.0f}), std::invalid_argument);
    EXPECT_THROW(shipsKl({}, {}), std::invalid_argument);
    EXPECT_THROW(shipsKl({std::nanf("")}, {0.0f}), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
