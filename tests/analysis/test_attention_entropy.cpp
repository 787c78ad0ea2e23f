#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "attnscope/analysis/attention_entropy.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

Eigen::MatrixXf threeByThree() {
    return matrixFromRows({{1, 0, 0}, {0.5f, 0.5f, 0}, {0.5f, 0.25f, 0.25f}});
}

TEST(AttentionEntropy, RowEntropyByHand) {
    const double ln2 = std::log(2.0);
    const double ln3 = std::log(3.0);
    const Eigen::VectorXd rows = rowNormalizedEntropies(threeByThree());
    EXPECT_DOUBLE_EQ(rows[0], 0.0);               // q = 0
    EXPECT_NEAR(rows[1], ln2 / ln2, 1e-12);       // uniform over 2 keys
    EXPECT_NEAR(rows[2], 1.5 * ln2 / ln3, 1e-7);  // H(.5,.25,.25) = 1.5 ln 2
    EXPECT_NEAR(rowEntropy(threeByThree()), (0.0 + 1.0 + 1.5 * ln2 / ln3) / 3.0, 1e-7);
}

TEST(AttentionEntropy, ColumnEntropyByHand) {
    const double ln2 = std::log(2.0);
    const double ln3 = std::log(3.0);
    const Eigen::VectorXd cols = columnNormalizedEntropies(threeByThree());
    // Column 0: (1, .5, .5) / 2 = (.5, .25, .25): 1.5 ln 2, normalised by log(3 - 0).
    EXPECT_NEAR(cols[0], 1.5 * ln2 / ln3, 1e-7);
    // Column 1: (0, .5, .25) / .75 = (2/3, 1/3), normalised by log(3 - 1).
    const double h1 = -(2.0 / 3.0) * std::log(2.0 / 3.0) - (1.0 / 3.0) * std::log(1.0 / 3.0);
    EXPECT_NEAR(cols[1], h1 / ln2, 1e-7);
    // Column 2: log(3 - 2) = 0 -> 0.
    EXPECT_DOUBLE_EQ(cols[2], 0.0);
    EXPECT_NEAR(colEntropy(threeByThree()), std::max(1.5 * ln2 / ln3, h1 / ln2), 1e-7);
}

TEST(AttentionEntropy, SinkHeadHasLowRowAndHighColumnEntropy) {
    // Every query on BOS: rows have zero entropy, column 0 is uniform over all T queries.
    Eigen::MatrixXf a = Eigen::MatrixXf::Zero(5, 5);
    a.col(0).setOnes();
    EXPECT_DOUBLE_EQ(rowEntropy(a), 0.0);
    EXPECT_NEAR(colEntropy(a), 1.0, 1e-12);
    EXPECT_TRUE(isDormantLike(rowEntropy(a), colEntropy(a), 0.2, 0.8));
    EXPECT_FALSE(isDormantLike(0.5, 0.9, 0.2, 0.8));
    EXPECT_FALSE(isDormantLike(0.1, 0.7, 0.2, 0.8));
}

TEST(AttentionEntropy, RejectsNonCausalMaps) {
    EXPECT_THROW(rowEntropy(matrixFromRows({{0.5f, 0.5f}, {0.5f, 0.5f}})), std::invalid_argument);
    EXPECT_THROW(colEntropy(matrixFromRows({{1, 0, 0}})), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
