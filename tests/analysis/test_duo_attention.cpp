#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/duo_attention.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

TEST(DuoStreamingMask, SinkPlusRecentWindow) {
    // sink 2, recent 3, query 10: keys 0, 1 (sink) and 8, 9, 10 (j > 10 - 3) are visible.
    std::vector<int> visible;
    for (int j = 0; j <= 12; ++j) {
        if (streamingVisible(10, j, 2, 3)) visible.push_back(j);
    }
    EXPECT_EQ(visible, (std::vector<int>{0, 1, 8, 9, 10}));
    // Early queries see everything before them.
    EXPECT_TRUE(streamingVisible(3, 2, 2, 3));
    EXPECT_FALSE(streamingVisible(3, 4, 2, 3));
}

TEST(DuoLrMultiplier, WarmupPlateauDecay) {
    // N = 2000, N/5 = 400.
    EXPECT_DOUBLE_EQ(duoLrMultiplier(0, 2000), 0.1);    // max(1/400, 0.1)
    EXPECT_DOUBLE_EQ(duoLrMultiplier(199, 2000), 0.5);  // 200/400
    EXPECT_DOUBLE_EQ(duoLrMultiplier(399, 2000), 1.0);  // 400/400
    EXPECT_DOUBLE_EQ(duoLrMultiplier(1000, 2000), 1.0);
    EXPECT_DOUBLE_EQ(duoLrMultiplier(1700, 2000), 0.75);  // (2000-1700)/400
    EXPECT_DOUBLE_EQ(duoLrMultiplier(1999, 2000), 0.1);   // max(1/400, 0.1)
    EXPECT_THROW(duoLrMultiplier(0, 0), std::invalid_argument);
}

TEST(DuoLosses, RegulariserAndDistillation) {
    EXPECT_DOUBLE_EQ(duoL1Regularizer(HeadTable(2, 2, std::vector<double>{0.5, -0.25, 1, 0})),
                     (0.5 + 0.25 + 1 + 0) / 4);
    EXPECT_THROW(duoL1Regularizer(HeadTable()), std::invalid_argument);

    const auto h = test::matrixFromRows({{1, 2}, {3, 4}, {0, 0}});
    const auto ht = test::matrixFromRows({{1, 0}, {3, 5}, {9, 9}});
    // t0: (0 + 4) / 2 = 2; t1: (0 + 1) / 2 = 0.5; t2 unsupervised. (2 + 0.5) / 2.
    EXPECT_DOUBLE_EQ(duoDistillLoss(h, ht, {true, true, false}), 1.25);
    EXPECT_THROW(duoDistillLoss(h, ht, {false, false, false}), std::invalid_argument);
    EXPECT_THROW(duoDistillLoss(h, ht, {true, true}), std::invalid_argument);
}

TEST(DuoQuantile, NumpyLinearMethod) {
    EXPECT_DOUBLE_EQ(numpyQuantile({4, 1, 3, 2}, 0.5), 2.5);    // index 1.5
    EXPECT_DOUBLE_EQ(numpyQuantile({4, 1, 3, 2}, 0.25), 1.75);  // index 0.75
    EXPECT_DOUBLE_EQ(numpyQuantile({4, 1, 3, 2}, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(numpyQuantile({4, 1, 3, 2}, 1.0), 4.0);
    EXPECT_THROW(numpyQuantile({}, 0.5), std::invalid_argument);
    EXPECT_THROW(numpyQuantile({1}, 1.5), std::invalid_argument);
}

TEST(DuoClassify, ClipNoiseQuantileSplit) {
    const HeadTable alphas(2, 2, std::vector<double>{1.3, -0.2, 0.6, 0.4});
    const DuoClassification r = duoClassify(alphas, 0.5, 0);
    // np.random.seed(0); np.random.random_sample(4) = 0.5488135039273248, 0.7151893663724195,
    // 0.6027633760716439, 0.5448831829968969 (numpy's documented stream); noise = 1e-6 * u.
    EXPECT_DOUBLE_EQ(r.gates.values[0], 1.0 + 1e-6 * 0.5488135039273248);
    EXPECT_DOUBLE_EQ(r.gates.values[1], 0.0 + 1e-6 * 0.7151893663724195);
    EXPECT_DOUBLE_EQ(r.gates.values[2], 0.6 + 1e-6 * 0.6027633760716439);
    EXPECT_DOUBLE_EQ(r.gates.values[3], 0.4 + 1e-6 * 0.5448831829968969);
    // Sorted gates ~ (0, 0.4, 0.6, 1): the median lies halfway between 0.4 and 0.6.
    EXPECT_NEAR(r.threshold, 0.5, 1e-5);
    EXPECT_EQ(r.isRetrieval.values, std::vector<double>({1, 0, 1, 0}));
    EXPECT_DOUBLE_EQ(r.sparsity, 0.5);

    // 25% streaming: threshold at index 0.75 between ~0 and ~0.4 -> 0.3.
    const DuoClassification q = duoClassify(alphas, 0.25, 0);
    EXPECT_NEAR(q.threshold, 0.3, 1e-5);
    EXPECT_EQ(q.isRetrieval.values, std::vector<double>({1, 0, 1, 1}));

    EXPECT_DOUBLE_EQ(duoClassify(alphas, 0.0).threshold, -1.0);
    EXPECT_DOUBLE_EQ(duoClassify(alphas, 0.0).sparsity, 0.0);
    EXPECT_DOUBLE_EQ(duoClassify(alphas, 1.0).threshold, 2.0);
    EXPECT_DOUBLE_EQ(duoClassify(alphas, 1.0).sparsity, 1.0);
}

TEST(DuoClassify, NoiseBreaksTiesAndSeedsDiffer) {
    const HeadTable ties(1, 4, 0.5);
    const DuoClassification r = duoClassify(ties, 0.5, 7);
    EXPECT_DOUBLE_EQ(r.sparsity, 0.5);  // exact split despite the tie
    EXPECT_NE(duoClassify(ties, 0.5, 1).gates.values, r.gates.values);
    EXPECT_THROW(duoClassify(HeadTable(), 0.5), std::invalid_argument);
    EXPECT_THROW(duoClassify(ties, std::nan("")), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
