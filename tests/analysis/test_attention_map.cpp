#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "attnscope/analysis/attention_map.h"
#include "map_builders.h"

namespace attnscope::analysis {
namespace {

using test::matrixFromRows;

TEST(AttentionMap, AcceptsCausalStochasticMap) {
    const auto a = matrixFromRows({{1, 0, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.3f, 0.5f}});
    EXPECT_NO_THROW(requireCausalAttentionMap(a, "test"));
}

TEST(AttentionMap, RejectsInvalidMaps) {
    EXPECT_THROW(requireCausalAttentionMap(Eigen::MatrixXf(0, 0), "t"), std::invalid_argument);
    EXPECT_THROW(requireCausalAttentionMap(matrixFromRows({{1, 0}, {0.5f, 0.5f}, {1, 0}}), "t"),
                 std::invalid_argument);  // not square
    EXPECT_THROW(requireCausalAttentionMap(matrixFromRows({{1, 0}, {0.5f, 0.4f}}), "t"),
                 std::invalid_argument);  // row 1 sums to 0.9
    EXPECT_THROW(requireCausalAttentionMap(matrixFromRows({{1, 0}, {1.5f, -0.5f}}), "t"),
                 std::invalid_argument);  // negative entry
    EXPECT_THROW(requireCausalAttentionMap(matrixFromRows({{0.5f, 0.5f}, {0.5f, 0.5f}}), "t"),
                 std::invalid_argument);  // (0, 1) above the diagonal
    auto nan = matrixFromRows({{1, 0}, {0.5f, 0.5f}});
    nan(1, 0) = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THROW(requireCausalAttentionMap(nan, "t"), std::invalid_argument);
}

TEST(AttentionMap, ErrorMessageNamesTheCaller) {
    try {
        requireCausalAttentionMap(matrixFromRows({{1, 0}, {0.5f, 0.4f}}), "myMetric");
        FAIL() << "expected a throw";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("myMetric"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos);
    }
}

TEST(AttentionMap, RowsNeedNotBeSquare) {
    EXPECT_NO_THROW(requireAttentionRows(matrixFromRows({{0.25f, 0.25f, 0.5f}}), "t"));
    EXPECT_THROW(requireAttentionRows(matrixFromRows({{0.25f, 0.25f, 0.25f}}), "t"),
                 std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
