// Node-level analyses on real models: attribution patching against exact per-head patching on
// the demo model (Spearman), its gradient with autograd under the runtime's no-grad mode, and
// node ablation (zero, mean, resample) against independent routes to the same numbers.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attnscope/analysis/circuits/attribution_patching.h"
#include "attnscope/analysis/circuits/node_ablation.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "demo_model_dir.h"
#include "fixture_paths.h"
#include "patching_test_support.h"

namespace attnscope::analysis::circuits {
namespace {

std::vector<double> flatten(const std::vector<std::vector<double>>& v) {
    std::vector<double> out;
    for (const auto& row : v)
        out.insert(out.end(), row.begin(), row.end());
    return out;
}

class DemoModelPatching : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        model = capture::loadModel(attnscope::test::demoModelDir());
        tokenizer = capture::Tokenizer::fromModelFolder(attnscope::test::demoModelDir());
        pairs = demoTaskPairs(attnscope::test::demoModelDir(), "mqar", *tokenizer, 16, 0);
    }
    static void TearDownTestSuite() {
        model.reset();
        tokenizer.reset();
    }
    static inline std::shared_ptr<capture::TransformerModel> model;
    static inline std::unique_ptr<capture::Tokenizer> tokenizer;
    static inline std::vector<PromptPair> pairs;
};

// Spearman between attribution estimates and exact per-head patching effects.
double agreement(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                 PatchDirection direction) {
    PatchingOptions exactOptions;
    exactOptions.direction = direction;
    const auto exact = activationPatchingSweep(model, pairs, exactOptions);
    EXPECT_GT(exact.clean - exact.corrupted, 1.0) << "the task must separate the runs";
    AttributionPatchingOptions options;
    options.direction = direction;
    at::NoGradGuard runtimeMode;  // as the runtime runs; attribution enables grad itself
    const auto attr = attributionPatching(model, pairs, options);
    EXPECT_NEAR(attr.clean, exact.clean, 1e-4);
    EXPECT_NEAR(attr.corrupted, exact.corrupted, 1e-4);
    // The exact effect of patching one head, from the base run's metric.
    const double base = direction == PatchDirection::Noising ? exact.clean : exact.corrupted;
    std::vector<double> effect = flatten(exact.values);
    for (double& e : effect)
        e -= base;
    return test::spearman(flatten(attr.values), effect);
}

TEST_F(DemoModelPatching, AttributionPatchingAgreesWithExactPerHeadPatching) {
    const double denoising = agreement(*model, pairs, PatchDirection::Denoising);
    const double noising = agreement(*model, pairs, PatchDirection::Noising);
    std::printf(
        "attribution vs exact per-head z patching on %zu demo MQAR pairs: Spearman %.3f "
        "denoising (spec 6.4's direction), %.3f noising\n",
        pairs.size(), denoising, noising);
    EXPECT_GE(denoising, 0.8);
    EXPECT_GE(noising, 0.6);
}

TEST_F(DemoModelPatching, AttributionPerPositionSumsToTheHead) {
    // Pairs of one length keep the per-position estimates.
    std::vector<PromptPair> same;
    for (const auto& p : pairs)
        if (p.clean.size() == pairs.front().clean.size()) same.push_back(p);
    ASSERT_LT(same.size(), pairs.size()) << "the pairs should have several lengths";
    AttributionPatchingOptions options;
    options.metric = CircuitMetricKind::NormalizedLogitDiff;
    const auto attr = attributionPatching(*model, same, options);
    EXPECT_EQ(attr.clean, 1.0);
    EXPECT_EQ(attr.corrupted, 0.0);
    ASSERT_EQ(attr.perPosition.size(), 4u);
    for (size_t l = 0; l < 4; ++l)
        for (size_t h = 0; h < 8; ++h) {
            ASSERT_EQ(attr.perPosition[l][h].size(), same.front().clean.size());
            double sum = 0;
            for (double v : attr.perPosition[l][h])
                sum += v;
            EXPECT_NEAR(sum, attr.values[l][h], 1e-6 * std::max(1.0, std::abs(sum)));
        }
    // Pairs of several lengths give the head totals only.
    EXPECT_TRUE(attributionPatching(*model, pairs).perPosition.empty());
}

TEST_F(DemoModelPatching, ResampleAblationOfOneHeadIsItsActivationPatch) {
    const auto sweep = activationPatchingSweep(*model, pairs, PatchingOptions{});
    for (auto [l, h] : {std::pair<int64_t, int64_t>{2, 0}, {1, 3}, {3, 7}}) {
        NodeSet nodes;
        nodes.heads = {{l, h}};
        EXPECT_NEAR(ablatedMetric(*model, pairs, nodes, capture::AblationMode::Resample),
                    sweep.values[l][h], 1e-4);
    }
    // Resampling MLP 1 equals patching its output.
    PatchingOptions mlp;
    mlp.site = PatchSite::MlpOut;
    const auto mlpSweep = activationPatchingSweep(*model, pairs, mlp);
    EXPECT_NEAR(ablatedMetric(*model, pairs, NodeSet{{}, {1}}, capture::AblationMode::Resample),
                mlpSweep.values[1][0], 1e-4);
    EXPECT_NEAR(ablatedMetric(*model, pairs, NodeSet{}, capture::AblationMode::Zero), sweep.clean,
                1e-5);
}

TEST_F(DemoModelPatching, MeanAblationWithOneReferencePromptPerPositionChangesNothing) {
    // The per-position mean over a single prompt is that prompt's own activation.
    const std::vector<PromptPair> one{pairs.front()};
    const NodeMeans means = computeNodeMeans(*model, {one.front().clean}, true);
    NodeSet all = complementOf(*model, NodeSet{});
    EXPECT_EQ(all.heads.size(), 32u);
    EXPECT_EQ(all.mlps.size(), 4u);
    const double full = ablatedMetric(*model, one, NodeSet{}, capture::AblationMode::Zero);
    EXPECT_NEAR(ablatedMetric(*model, one, all, capture::AblationMode::Mean,
                              CircuitMetricKind::LogitDiff, &means),
                full, 1e-4);
    EXPECT_NEAR(nodeCircuitFaithfulness(*model, one, NodeSet{}, capture::AblationMode::Mean,
                                        CircuitMetricKind::LogitDiff, &means),
                1.0, 1e-4);
    // The full model as the circuit is faithful by definition; zeroing everything is not.
    EXPECT_NEAR(nodeCircuitFaithfulness(*model, pairs, all, capture::AblationMode::Zero), 1.0,
                1e-9);
    EXPECT_LT(nodeCircuitFaithfulness(*model, pairs, NodeSet{}, capture::AblationMode::Zero), 0.5);
    // Per-position means need one length.
    EXPECT_THROW(computeNodeMeans(*model, {{1, 2, 3}, {1, 2}}, true), capture::InputError);
    EXPECT_THROW(ablatedMetric(*model, one, NodeSet{{{4, 0}}, {}}, capture::AblationMode::Zero),
                 capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
