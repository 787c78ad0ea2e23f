#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "attnscope/analysis/retrieval_score.h"

namespace attnscope::analysis {
namespace {

TEST(FindNeedleSpan, FirstWindowAboveNinetyPercent) {
    const TokenSpan s = findNeedleSpan({5, 9, 1, 2, 3, 4, 7}, {1, 2, 3, 4});
    EXPECT_EQ(s.begin, 2);
    EXPECT_EQ(s.end, 6);
    EXPECT_TRUE(s.found());
}

TEST(FindNeedleSpan, NinetyPercentIsNotEnough) {
    const std::vector<int> needle = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // Nine of the ten distinct ids: 0.9, not > 0.9.
    const TokenSpan miss = findNeedleSpan({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0}, needle);
    EXPECT_FALSE(miss.found());
    EXPECT_EQ(miss.end, -1);
    // All ten in a window of ten, out of order: found.
    const TokenSpan hit = findNeedleSpan({0, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, needle);
    EXPECT_EQ(hit.begin, 1);
    EXPECT_EQ(hit.end, 11);
}

TEST(FindNeedleSpan, WindowsShrinkAtTheEndAndSpanMayOverrun) {
    // Needle set {1}; window P[0:3] = [7, 1] (only two tokens left) already holds it.
    const TokenSpan s = findNeedleSpan({7, 1}, {1, 1, 1});
    EXPECT_EQ(s.begin, 0);
    EXPECT_EQ(s.end, 3);  // past |P| = 2, as the reference returns it
    EXPECT_THROW(findNeedleSpan({1, 2}, {}), std::invalid_argument);
}

Eigen::VectorXf row(std::initializer_list<float> v) {
    Eigen::VectorXf r(static_cast<Eigen::Index>(v.size()));
    Eigen::Index i = 0;
    for (float x : v)
        r[i++] = x;
    return r;
}

TEST(RetrievalScoreAccumulator, CopyPasteCriterionAndRecallGate) {
    RetrievalScoreAccumulator acc(1, 3);
    const std::vector<int> prompt = {10, 11, 12, 13, 14};
    acc.beginInstance(prompt, {1, 4});  // needle tokens 11, 12, 13: each hit is worth 1/3
    // Step 1 generates 12. Head 0 attends key 2 (P[2] = 12, in span): +1/3. Head 1 attends key
    // 0 (outside the span). Head 2 attends key 3 (in span, but P[3] = 13 != 12).
    acc.addStep({row({0.1f, 0.1f, 0.5f, 0.1f, 0.1f, 0.1f}), row({0.6f, 0.1f, 0.1f, 0.1f, 0, 0.1f}),
                 row({0.1f, 0.1f, 0.1f, 0.6f, 0, 0.1f})},
                12);
    // Step 2 generates 13 over 7 keys. Head 0 and head 2 attend key 3 (+1/3 each); head 1
    // attends key 6, a generated token past the prompt.
    acc.addStep(
        {row({0, 0, 0, 1, 0, 0, 0}), row({0, 0, 0, 0, 0, 0, 1}), row({0, 0, 0, 1, 0, 0, 0})}, 13);
    EXPECT_NEAR(acc.instanceScores().at(0, 0), 2.0 / 3.0, 1e-12);
    EXPECT_EQ(acc.instanceScores().at(0, 1), 0.0);
    EXPECT_NEAR(acc.instanceScores().at(0, 2), 1.0 / 3.0, 1e-12);
    EXPECT_TRUE(acc.endInstance(60.0));

    // Recall exactly 50 is not > 50: this instance's scores are dropped.
    acc.beginInstance(prompt, {1, 4});
    acc.addStep({row({0, 1, 0, 0, 0}), row({0, 1, 0, 0, 0}), row({0, 1, 0, 0, 0})}, 11);
    EXPECT_FALSE(acc.endInstance(50.0));

    // A successful instance where nothing fires appends zeros for every head.
    acc.beginInstance(prompt, {1, 4});
    EXPECT_TRUE(acc.endInstance(100.0));

    EXPECT_EQ(acc.acceptedInstances(), 2);
    EXPECT_EQ(acc.scoreList(0, 0).size(), 2u);
    const HeadTable mean = acc.meanScores();
    EXPECT_NEAR(mean.at(0, 0), (2.0 / 3.0 + 0.0) / 2.0, 1e-12);
    EXPECT_NEAR(mean.at(0, 1), 0.0, 1e-12);
    EXPECT_NEAR(mean.at(0, 2), (1.0 / 3.0) / 2.0, 1e-12);
}

TEST(RetrievalScoreAccumulator, ArgmaxTiesGoToTheFirstKeyAndOneIncrementPerStep) {
    RetrievalScoreAccumulator acc(1, 1);
    acc.beginInstance({10, 11, 11, 13}, {1, 3});  // span 11, 11: each hit worth 1/2
    // Keys 1 and 2 tie; j* = 1 (P[1] = 11 = generated): one increment, not two.
    acc.addStep({row({0, 0.5f, 0.5f, 0})}, 11);
    EXPECT_NEAR(acc.instanceScores().at(0, 0), 0.5, 1e-12);
    // Ties between key 0 (outside) and key 1 (inside): key 0 wins, nothing scores.
    acc.addStep({row({0.5f, 0.5f, 0, 0, 0})}, 11);
    EXPECT_NEAR(acc.instanceScores().at(0, 0), 0.5, 1e-12);
    acc.endInstance(100.0);
}

TEST(RetrievalScoreAccumulator, NoSpanNoScoreAndMisuse) {
    RetrievalScoreAccumulator acc(1, 2);
    EXPECT_TRUE(std::isnan(acc.meanScores().at(0, 0)));  // nothing appended yet
    EXPECT_THROW(acc.addStep({row({1}), row({1})}, 0), std::logic_error);
    EXPECT_THROW(acc.endInstance(100.0), std::logic_error);
    acc.beginInstance({10, 11}, TokenSpan{});
    EXPECT_THROW(acc.beginInstance({10, 11}, TokenSpan{}), std::logic_error);
    acc.addStep({row({0, 1}), row({0, 1})}, 11);
    EXPECT_EQ(acc.instanceScores().at(0, 1), 0.0);
    EXPECT_THROW(acc.addStep({row({0, 1})}, 11), std::invalid_argument);
    acc.endInstance(100.0);
    acc.beginInstance({10, 11}, {0, 2});
    EXPECT_THROW(acc.addStep({row({0, 1}), Eigen::VectorXf()}, 11), std::invalid_argument);
    EXPECT_THROW(RetrievalScoreAccumulator(0, 1), std::invalid_argument);
}

TEST(RetrievalClassification, FractionAndHeadsAboveThreshold) {
    const HeadTable scores(2, 2, std::vector<double>{0.05, 0.2, 0.1, std::nan("")});
    EXPECT_DOUBLE_EQ(fractionAbove(scores), 0.25);  // only 0.2; 0.1 is not > 0.1; NaN is not
    const std::vector<HeadId> heads = headsAbove(scores);
    ASSERT_EQ(heads.size(), 1u);
    EXPECT_EQ(heads[0], (HeadId{0, 1}));
    EXPECT_DOUBLE_EQ(fractionAbove(scores, 0.0), 0.75);
    EXPECT_THROW(fractionAbove(HeadTable()), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis
