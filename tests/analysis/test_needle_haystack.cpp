#include <gtest/gtest.h>

#include <stdexcept>

#include "attnscope/analysis/needle_haystack.h"

namespace attnscope::analysis {
namespace {

using Ids = std::vector<int>;
using Grid = std::vector<long long>;

TEST(NeedleGrids, DefaultDepths) {
    // 0, 11.1, 22.2, 33.3, 44.4, 55.6, 66.7, 77.8, 88.9, 100.
    EXPECT_EQ(depthGrid(), (Grid{0, 11, 22, 33, 44, 56, 67, 78, 89, 100}));
}

TEST(NeedleGrids, RoundsHalfToEven) {
    // linspace(0, 5, 11) = 0, .5, 1, ..., 5; np.round sends .5 -> 0, 2.5 -> 2, 4.5 -> 4.
    EXPECT_EQ(roundedLinspace(0, 5, 11), (Grid{0, 0, 1, 2, 2, 2, 3, 4, 4, 4, 5}));
    EXPECT_EQ(roundedLinspace(7, 9, 1), (Grid{7}));
    EXPECT_THROW(roundedLinspace(0, 1, 0), std::invalid_argument);
}

TEST(NeedleGrids, ReadmeContextLengths) {
    // step = 50000 / 19 = 2631.58: 2631.58 -> 2632, 5263.16 -> 5263, 7894.74 -> 7895, ...
    const Grid g = contextLengthGrid(0, 50000);
    ASSERT_EQ(g.size(), 20u);
    EXPECT_EQ(g[0], 0);
    EXPECT_EQ(g[1], 2632);
    EXPECT_EQ(g[2], 5263);
    EXPECT_EQ(g[3], 7895);
    EXPECT_EQ(g[18], 47368);  // 18 * 2631.58 = 47368.42
    EXPECT_EQ(g[19], 50000);
    EXPECT_THROW(contextLengthGrid(10, 5), std::invalid_argument);
}

const Ids kContext = {1, 2, 99, 3, 4, 99, 5, 6};  // 99 is the period token
const Ids kNeedle = {50, 51};

TEST(InsertNeedle, BacksOffToThePreviousPeriod) {
    // depth 50: ip = int(8 * 0.5) = 4; ctx[3] = 3 is no period, ctx[2] = 99 is: ip = 3.
    const NeedleInsertion r = insertNeedle(kContext, kNeedle, 50, 1000, {99});
    EXPECT_EQ(r.insertionPoint, 3);
    EXPECT_EQ(r.ids, (Ids{1, 2, 99, 50, 51, 3, 4, 99, 5, 6}));
    // depth 80: ip = int(6.4) = 6; ctx[5] = 99: stays 6.
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 80, 1000, {99}).ids,
              (Ids{1, 2, 99, 3, 4, 99, 50, 51, 5, 6}));
    // depth 25: ip = 2 -> 1 -> 0 (no period before): the needle goes first.
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 25, 1000, {99}).insertionPoint, 0);
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 0, 1000, {99}).ids.front(), 50);
}

TEST(InsertNeedle, DepthHundredAppends) {
    const NeedleInsertion r = insertNeedle(kContext, kNeedle, 100, 1000, {99});
    EXPECT_EQ(r.ids, (Ids{1, 2, 99, 3, 4, 99, 5, 6, 50, 51}));
    EXPECT_EQ(r.insertionPoint, 8);
}

TEST(InsertNeedle, TrimsToTheBudget) {
    // budget = 206 - 200 = 6 < 8 + 2: ctx = ctx[:6 - 2] = {1, 2, 99, 3}.
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 100, 206, {99}).ids, (Ids{1, 2, 99, 3, 50, 51}));
    // budget = 1: ctx[:1 - 2] = ctx[:-1] drops the last token (Python slicing).
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 100, 201, {99}).ids,
              (Ids{1, 2, 99, 3, 4, 99, 5, 50, 51}));
    // A custom buffer: budget = 10 - 0 = 10 >= 8 + 2: no trim.
    EXPECT_EQ(insertNeedle(kContext, kNeedle, 100, 10, {99}, 0).ids.size(), 10u);
}

TEST(InsertNeedle, DepthFractionIsComputedFirst) {
    // int(100 * (29 / 100)) = int(28.999999999999996) = 28, not 29.
    const Ids allPeriods(100, 99);
    EXPECT_EQ(insertNeedle(allPeriods, kNeedle, 29, 100000, {99}).insertionPoint, 28);
    EXPECT_THROW(insertNeedle(kContext, kNeedle, 101, 1000, {99}), std::invalid_argument);
    EXPECT_THROW(insertNeedle(kContext, kNeedle, -1, 1000, {99}), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
