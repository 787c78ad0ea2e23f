#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "attnscope/analysis/sahara_search.h"

namespace attnscope::analysis {
namespace {

// A hand-made set score: per-head weights plus a bonus when (0,1) and (1,0) are together.
double toyScore(const std::vector<HeadId>& set) {
    const std::map<HeadId, double> weight = {
        {{0, 0}, 1.0}, {{0, 1}, 5.0}, {{1, 0}, 3.0}, {{1, 1}, 5.0}};
    double s = 0.0;
    bool has01 = false;
    bool has10 = false;
    for (const HeadId& h : set) {
        s += weight.at(h);
        has01 = has01 || h == HeadId{0, 1};
        has10 = has10 || h == HeadId{1, 0};
    }
    return has01 && has10 ? s + 10.0 : s;
}

TEST(SaharaSearch, GreedyWithTiesToFirstHead) {
    std::vector<std::vector<HeadId>> calls;
    const auto score = [&](const std::vector<HeadId>& set) {
        calls.push_back(set);
        return toyScore(set);
    };
    const SaharaResult r = saharaSearch(2, 2, 2, score);
    // Step 1: scores 1, 5, 3, 5: (0,1) and (1,1) tie, the first in row-major order wins.
    // Step 2 with S = {(0,1)}: (0,0) 6, (1,0) 5+3+10 = 18, (1,1) 10 -> (1,0).
    ASSERT_EQ(r.selected.size(), 2u);
    EXPECT_EQ(r.selected[0], (HeadId{0, 1}));
    EXPECT_EQ(r.selected[1], (HeadId{1, 0}));
    ASSERT_EQ(r.stepScores.size(), 2u);
    EXPECT_EQ(r.stepScores[0].values, std::vector<double>({1, 5, 3, 5}));
    EXPECT_EQ(r.stepScores[1].at(0, 0), 6.0);
    EXPECT_TRUE(std::isnan(r.stepScores[1].at(0, 1)));  // already in S
    EXPECT_EQ(r.stepScores[1].at(1, 0), 18.0);
    EXPECT_EQ(r.stepScores[1].at(1, 1), 10.0);
    // 4 + 3 evaluations; the candidate set is S followed by the candidate.
    ASSERT_EQ(calls.size(), 7u);
    EXPECT_EQ(calls[4], (std::vector<HeadId>{{0, 1}, {0, 0}}));
}

TEST(SaharaSearch, ReportsProgressAndCancelsBeforeTheNextEvaluation) {
    std::vector<std::pair<double, std::string>> reports;
    std::atomic<bool> cancel{false};
    int evaluations = 0;
    const auto score = [&](const std::vector<HeadId>& set) {
        ++evaluations;
        return toyScore(set);
    };
    // Cancelled from the fifth report, during step 2 (4 + 3 + 2 evaluations in all).
    const capture::Progress progress(
        [&](double f, const std::string& what) {
            reports.emplace_back(f, what);
            if (reports.size() == 5) cancel = true;
        },
        &cancel);
    EXPECT_THROW(saharaSearch(2, 2, 3, score, progress), capture::Cancelled);
    EXPECT_EQ(evaluations, 5);
    ASSERT_EQ(reports.size(), 5u);
    EXPECT_DOUBLE_EQ(reports.front().first, 1.0 / 9.0);
    EXPECT_DOUBLE_EQ(reports.back().first, 5.0 / 9.0);
    EXPECT_EQ(reports.back().second, "Sahara search");
}

TEST(SaharaSearch, NaNNeverWinsAndAllNaNThrows) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto someNaN = [&](const std::vector<HeadId>& set) {
        return set.back() == HeadId{0, 0} ? nan : toyScore(set);
    };
    EXPECT_EQ(saharaSearch(1, 2, 1, someNaN).selected.front(), (HeadId{0, 1}));
    EXPECT_THROW(saharaSearch(1, 2, 1, [&](const std::vector<HeadId>&) { return nan; }),
                 std::runtime_error);
}

TEST(SaharaSearch, RejectsBadArguments) {
    const HeadSetScoreFn f = toyScore;
    EXPECT_THROW(saharaSearch(2, 2, 0, f), std::invalid_argument);
    EXPECT_THROW(saharaSearch(2, 2, 5, f), std::invalid_argument);
    EXPECT_THROW(saharaSearch(0, 2, 1, f), std::invalid_argument);
    EXPECT_THROW(saharaSearch(2, 2, 1, HeadSetScoreFn{}), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
