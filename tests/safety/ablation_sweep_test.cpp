// The batched ablation sweep against one plain forward per ablation, the mean mask against the
// head mean computed here, and the errors for bad input.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "safety_fixture.h"

namespace attnscope::analysis {
namespace {

using test::loadParityModel;
using test::randomPrompts;
using test::singleForward;

// All single heads plus a few multi-layer sets and the unablated model.
std::vector<HeadSet> mixedVariants(const capture::TransformerModel& model, MaskTarget target) {
    auto variants = singleHeadVariants(model, target);
    variants.push_back({});
    variants.push_back({{1, 0}, {0, 1}});
    variants.push_back({{1, 1}, {1, 0}});
    return variants;
}

float maxDiff(const SweepRows& rows, Eigen::Index r, const at::Tensor& expected) {
    const at::Tensor e = expected.to(at::kFloat).contiguous();
    float m = 0;
    for (int64_t i = 0; i < e.numel(); ++i)
        m = std::max(m, std::abs(rows(r, i) - e.data_ptr<float>()[i]));
    return m;
}

void expectSweepMatchesSingleForwards(const std::string& fixture, MaskTarget target) {
    auto model = loadParityModel(fixture);
    if (!model) GTEST_SKIP() << "parity fixture " << fixture << " missing";
    const auto ids = randomPrompts(*model, 1, 3)[0];
    const auto variants = mixedVariants(*model, target);
    AblationSpec spec;
    spec.target = target;
    spec.epsilon = 1e-4;
    for (bool share : {true, false})
        for (SweepOutput output : {SweepOutput::LastLogits, SweepOutput::FinalHidden}) {
            SweepOptions options;
            options.batchSize = 3;  // several batches, mixing layers and set sizes
            options.sharePrefix = share;
            options.output = output;
            const SweepRows rows = ablationSweep(*model, ids, variants, spec, options);
            ASSERT_EQ(rows.rows(), static_cast<Eigen::Index>(variants.size()));
            for (std::size_t v = 0; v < variants.size(); ++v) {
                const auto single = singleForward(*model, ids, variants[v], target, 1e-4);
                const at::Tensor& expected =
                    output == SweepOutput::LastLogits ? single.logits : single.hidden;
                ASSERT_EQ(rows.cols(), expected.numel());
                EXPECT_LT(maxDiff(rows, static_cast<Eigen::Index>(v), expected), 2e-5)
                    << fixture << " variant " << v << " share " << share;
            }
        }
}

TEST(AblationSweep, BatchedQueryScalingEqualsOneForwardPerAblationLlamaGqa) {
    expectSweepMatchesSingleForwards("llama-tiny-gqa", MaskTarget::Query);
}

TEST(AblationSweep, BatchedKeyScalingEqualsOneForwardPerAblationLlamaGqa) {
    expectSweepMatchesSingleForwards("llama-tiny-gqa", MaskTarget::Key);
}

TEST(AblationSweep, BatchedOutputScalingEqualsOneForwardPerAblationGpt2) {
    expectSweepMatchesSingleForwards("gpt2-tiny", MaskTarget::Output);
}

TEST(AblationSweep, AblationChangesTheOutput) {
    // Guards the comparisons above against a sweep that ignores its ablations.
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto ids = randomPrompts(*model, 1, 3)[0];
    const SweepRows rows = ablationSweep(*model, ids, {{}, {{0, 0}}}, AblationSpec{});
    EXPECT_GT((rows.row(0) - rows.row(1)).cwiseAbs().maxCoeff(), 1e-4);
}

// Captures `hook` of a run with `perElement` ablated by mean (or nothing when empty).
at::Tensor capturedWithMean(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                            const std::vector<HeadSet>& perElement, MaskTarget target,
                            const std::string& hook) {
    at::NoGradGuard noGrad;
    capture::ActivationCache cache;
    capture::HookScope scope(model.hooks());
    AblationSpec spec;
    spec.target = target;
    spec.type = MaskType::Mean;
    if (!perElement.empty()) addAblationHooks(scope, model, perElement, spec);
    capture::CaptureSpec cs;
    cs.hooks = {hook};
    capture::attachCapture(scope, model.hooks(), cs, cache);
    const int64_t rows = std::max<int64_t>(1, static_cast<int64_t>(perElement.size()));
    model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong))
                      .unsqueeze(0)
                      .expand({rows, static_cast<int64_t>(ids.size())})
                      .contiguous());
    return cache.get(hook);
}

void expectMeanReplacement(MaskTarget target, const std::string& hook, int layer) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto ids = randomPrompts(*model, 1, 5)[0];
    // Layer `layer`'s input does not depend on its own ablation: the unablated activation is
    // what the mask averages.
    const at::Tensor base = capturedWithMean(*model, ids, {}, target, hook)[0];  // [pos, head, d]
    const int64_t heads = base.size(1);
    // Element 0 ablates head 1, element 1 heads 0 and 1, element 2 nothing.
    const at::Tensor got =
        capturedWithMean(*model, ids, {{{layer, 1}}, {{layer, 0}, {layer, 1}}, {}}, target, hook);
    for (int64_t p = 0; p < base.size(0); ++p)
        for (int64_t i = 0; i < base.size(2); ++i) {
            double mean = 0;
            for (int64_t h = 0; h < heads; ++h)
                mean += base[p][h][i].item<double>();
            mean /= double(heads);
            for (int64_t h = 0; h < heads; ++h) {
                const double orig = base[p][h][i].item<double>();
                EXPECT_NEAR(got[0][p][h][i].item<double>(), h == 1 ? mean : orig, 1e-5);
                EXPECT_NEAR(got[1][p][h][i].item<double>(), h <= 1 ? mean : orig, 1e-5);
                EXPECT_NEAR(got[2][p][h][i].item<double>(), orig, 1e-5);
            }
        }
}

TEST(AblationSweep, MeanMaskReplacesTheQueryWithTheHeadMean) {
    expectMeanReplacement(MaskTarget::Query, "blocks.1.attn.hook_q", 1);
}

TEST(AblationSweep, MeanMaskReplacesTheKeyWithTheKvHeadMean) {
    expectMeanReplacement(MaskTarget::Key, "blocks.1.attn.hook_k", 1);
}

TEST(AblationSweep, MeanMaskSweepEqualsOneForwardPerAblation) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto ids = randomPrompts(*model, 1, 4)[0];
    AblationSpec spec;
    spec.type = MaskType::Mean;
    spec.target = MaskTarget::Output;
    const auto variants = mixedVariants(*model, spec.target);
    SweepOptions options;
    options.batchSize = 4;
    const SweepRows rows = ablationSweep(*model, ids, variants, spec, options);
    for (std::size_t v = 0; v < variants.size(); ++v) {
        // Reference: z of each listed head replaced by the mean over the layer's unablated
        // heads, written here (one hook per layer, the mean taken before any replacement).
        at::NoGradGuard noGrad;
        capture::HookScope scope(model->hooks());
        std::map<int, std::vector<int>> byLayer;
        for (const HeadId& h : variants[v])
            byLayer[h.layer].push_back(h.head);
        for (const auto& [layer, heads] : byLayer)
            scope.add("blocks." + std::to_string(layer) + ".attn.hook_z",
                      [heads = heads](at::Tensor& z, const capture::HookContext&) {
                          const at::Tensor mean = z.sum(2) / double(z.size(2));
                          at::Tensor out = z.clone();
                          for (int h : heads)
                              out.select(2, h).copy_(mean);
                          z = out;
                      });
        const at::Tensor logits =
            model->forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0))[0]
                .select(0, -1);
        EXPECT_LT(maxDiff(rows, static_cast<Eigen::Index>(v), logits), 2e-5) << "variant " << v;
    }
}

TEST(AblationSweep, BadInputIsAnInputError) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto ids = randomPrompts(*model, 1)[0];
    EXPECT_THROW(parseMaskTarget("x"), capture::InputError);
    EXPECT_THROW(parseMaskType("zero"), capture::InputError);
    SweepOptions zero;
    zero.batchSize = 0;
    EXPECT_THROW(ablationSweep(*model, ids, {{{0, 0}}}, AblationSpec{}, zero), capture::InputError);
    EXPECT_THROW(ablationSweep(*model, {}, {{{0, 0}}}, AblationSpec{}), capture::InputError);
    EXPECT_THROW(ablationSweep(*model, ids, {{{2, 0}}}, AblationSpec{}), capture::InputError);
    EXPECT_THROW(ablationSweep(*model, ids, {{{0, 4}}}, AblationSpec{}), capture::InputError);
    AblationSpec key;
    key.target = MaskTarget::Key;  // 2 KV heads in this model
    EXPECT_THROW(ablationSweep(*model, ids, {{{0, 2}}}, key), capture::InputError);
    try {
        ablationSweep(*model, ids, {{{0, 9}}}, AblationSpec{});
    } catch (const capture::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("(0, 9)"), std::string::npos) << e.what();
    }
}

TEST(AblationSweep, CancelThrowsCancelled) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    std::atomic<bool> cancel{true};
    SweepOptions options;
    options.progress = capture::Progress({}, &cancel);
    EXPECT_THROW(
        ablationSweep(*model, randomPrompts(*model, 1)[0], {{{0, 0}}}, AblationSpec{}, options),
        capture::Cancelled);
}

}  // namespace
}  // namespace attnscope::analysis
