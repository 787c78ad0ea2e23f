// Circuit metrics on hand-made logits (values and gradients computed here) and pair stacking.
#include "attnscope/analysis/circuits/circuit_metric.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis::circuits {
namespace {

// Two pairs over a vocabulary of 3: answers 0 and 2, wrong tokens 1 and 0.
struct Fixture {
    at::Tensor logits = at::tensor({1.0f, 3.0f, 0.5f, -1.0f, 0.0f, 2.0f}).view({2, 3});
    at::Tensor answer = at::tensor({0, 2}, at::kLong);
    at::Tensor wrong = at::tensor({1, 0}, at::kLong);
};

TEST(CircuitMetric, LogitDifferenceAndItsGradient) {
    Fixture f;
    at::Tensor x = f.logits.clone().requires_grad_(true);
    at::Tensor ld = logitDifference(x, f.answer, f.wrong);
    EXPECT_FLOAT_EQ(ld[0].item<float>(), 1.0f - 3.0f);
    EXPECT_FLOAT_EQ(ld[1].item<float>(), 2.0f - (-1.0f));
    ld.sum().backward();
    const at::Tensor expected = at::tensor({1.0f, -1.0f, 0.0f, -1.0f, 0.0f, 1.0f}).view({2, 3});
    EXPECT_TRUE(at::equal(x.grad(), expected)) << x.grad();
}

TEST(CircuitMetric, NormalisedLogitDifferenceIsOneAtCleanAndZeroAtCorrupted) {
    Fixture f;
    // Baselines 3 (clean) and -2 (corrupted): LD -2 → 0, LD 3 → 1.
    at::Tensor n = normalizedLogitDifference(f.logits, f.answer, f.wrong, 3.0, -2.0);
    EXPECT_NEAR(n[0].item<double>(), 0.0, 1e-6);
    EXPECT_NEAR(n[1].item<double>(), 1.0, 1e-6);
    EXPECT_THROW(normalizedLogitDifference(f.logits, f.answer, f.wrong, 1.0, 1.0),
                 capture::InputError);
}

TEST(CircuitMetric, KlAgainstTheCleanDistributionComputedByHand) {
    Fixture f;
    const at::Tensor clean = at::tensor({0.0f, 0.0f, 0.0f, 1.0f, 2.0f, 3.0f}).view({2, 3});
    const at::Tensor cleanLogProbs = at::log_softmax(clean, -1);
    const at::Tensor kl = klToClean(f.logits, cleanLogProbs);
    for (int64_t b = 0; b < 2; ++b) {
        double zc = 0, zp = 0;
        for (int64_t v = 0; v < 3; ++v) {
            zc += std::exp(clean[b][v].item<double>());
            zp += std::exp(f.logits[b][v].item<double>());
        }
        double expected = 0;
        for (int64_t v = 0; v < 3; ++v) {
            const double pc = std::exp(clean[b][v].item<double>()) / zc;
            const double pp = std::exp(f.logits[b][v].item<double>()) / zp;
            expected += pc * std::log(pc / pp);
        }
        EXPECT_NEAR(kl[b].item<double>(), expected, 1e-6);
    }
    EXPECT_NEAR(klToClean(clean, cleanLogProbs).abs().max().item<double>(), 0.0, 1e-6);
}

TEST(CircuitMetric, AnswerProbability) {
    Fixture f;
    const at::Tensor p = answerProbability(f.logits, f.answer);
    const double z0 = std::exp(1.0) + std::exp(3.0) + std::exp(0.5);
    EXPECT_NEAR(p[0].item<double>(), std::exp(1.0) / z0, 1e-6);
    const double z1 = std::exp(-1.0) + 1.0 + std::exp(2.0);
    EXPECT_NEAR(p[1].item<double>(), std::exp(2.0) / z1, 1e-6);
}

TEST(CircuitMetric, NamesParseBothSpellings) {
    EXPECT_EQ(parseCircuitMetric("logit-diff"), CircuitMetricKind::LogitDiff);
    EXPECT_EQ(parseCircuitMetric("logit_diff"), CircuitMetricKind::LogitDiff);
    EXPECT_EQ(parseCircuitMetric("kl"), CircuitMetricKind::Kl);
    for (auto k : {CircuitMetricKind::LogitDiff, CircuitMetricKind::NormalizedLogitDiff,
                   CircuitMetricKind::Kl, CircuitMetricKind::AnswerProbability})
        EXPECT_EQ(parseCircuitMetric(circuitMetricName(k)), k);
    EXPECT_THROW(parseCircuitMetric("accuracy"), capture::InputError);
}

TEST(CircuitMetric, StackingGroupsPairsByLengthInBatches) {
    std::vector<PromptPair> pairs{{{1, 2, 3}, {1, 2, 4}, 5, 6, 0},
                                  {{7, 8}, {7, 9}, 1, 2, 0},
                                  {{4, 5, 6}, {4, 5, 7}, 8, 9, 0},
                                  {{3, 3, 3}, {3, 3, 2}, 0, 1, 0}};
    const auto batches = stackPromptPairs(pairs, 2);
    ASSERT_EQ(batches.size(), 3u);  // length 2: one batch; length 3: batches of 2 and 1
    EXPECT_EQ(batches[0].pairIndex, std::vector<int64_t>{1});
    EXPECT_EQ(batches[1].pairIndex, (std::vector<int64_t>{0, 2}));
    EXPECT_EQ(batches[2].pairIndex, std::vector<int64_t>{3});
    EXPECT_TRUE(
        at::equal(batches[1].clean, at::tensor({1, 2, 3, 4, 5, 6}, at::kLong).view({2, 3})));
    EXPECT_TRUE(
        at::equal(batches[1].corrupted, at::tensor({1, 2, 4, 4, 5, 7}, at::kLong).view({2, 3})));
    EXPECT_TRUE(at::equal(batches[1].answer, at::tensor({5, 8}, at::kLong)));
    EXPECT_TRUE(at::equal(batches[1].wrong, at::tensor({6, 9}, at::kLong)));
    // A group is cut into batches as even as they can be: 7 pairs at most 3 a batch: 3, 2, 2.
    const std::vector<PromptPair> seven(7, pairs[1]);
    std::vector<int64_t> sizes;
    for (const PromptBatch& b : stackPromptPairs(seven, 3))
        sizes.push_back(b.size());
    EXPECT_EQ(sizes, (std::vector<int64_t>{3, 2, 2}));

    // The KL metric picks each row's clean distribution by pair index.
    CircuitMetric kl;
    kl.kind = CircuitMetricKind::Kl;
    kl.cleanLogProbs = at::log_softmax(at::randn({4, 10}), -1);
    const at::Tensor rows = kl.cleanLogProbs.index_select(0, at::tensor({0, 2}, at::kLong));
    EXPECT_NEAR(kl.perPair(rows, batches[1]).abs().max().item<double>(), 0.0, 1e-6);

    pairs[1].corrupted.push_back(3);
    EXPECT_THROW(stackPromptPairs(pairs, 2), capture::InputError);
    EXPECT_THROW(stackPromptPairs({}, 2), capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
