// Activation patching on GPT-2, Llama-GQA and Qwen2-shaped models: exactness (what patching
// nothing and patching every residual writer must give), batched sweeps against one forward
// per variant, GQA k/v per KV head against the runtime's own HookPatch, and bad input.
#include "attnscope/analysis/circuits/activation_patching.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "patching_test_support.h"

namespace attnscope::analysis::circuits {
namespace {

using test::parityModel;
using test::qwen2ShapedModel;
using test::randomPair;

at::Tensor ids(const std::vector<int64_t>& v) {
    return at::tensor(v, at::kLong).view({1, static_cast<int64_t>(v.size())});
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

class PatchingExactness : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        at::manual_seed(0);
        model = GetParam() == "qwen2-shaped" ? qwen2ShapedModel(3) : parityModel(GetParam());
        if (!model) GTEST_SKIP() << "shared parity fixture missing: " << GetParam();
    }
    std::shared_ptr<capture::TransformerModel> model;
};

// Every hook a full corruption needs: the residual stream's writers and resid_pre of layer 0.
std::vector<std::string> writerHooks(const capture::TransformerModel& m) {
    std::vector<std::string> hooks{patchSiteHook(PatchSite::Embed, 0),
                                   patchSiteHook(PatchSite::ResidPre, 0)};
    for (int64_t l = 0; l < m.config().nLayers; ++l) {
        hooks.push_back(patchSiteHook(PatchSite::Z, l));
        hooks.push_back(patchSiteHook(PatchSite::MlpOut, l));
    }
    return hooks;
}

TEST_P(PatchingExactness, NothingKeepsTheBaseAndEveryWriterGivesTheSource) {
    at::NoGradGuard noGrad;
    capture::TransformerModel& m = *model;
    const PromptPair pair = randomPair(m.config().vocabSize, 9, 3, 11);
    HookActivations clean, corrupted;
    const at::Tensor cleanLogits = runWithCache(m, ids(pair.clean), writerHooks(m), clean);
    const at::Tensor corruptedLogits =
        runWithCache(m, ids(pair.corrupted), writerHooks(m), corrupted);
    const double scale = std::max(1.0, cleanLogits.abs().max().item<double>());
    ASSERT_GT(maxDiff(cleanLogits, corruptedLogits), 1e-2 * scale) << "the prompts must differ";

    // Variant 0 patches nothing; 1 patches the embeddings, every head's z and every MLP
    // output at all positions; 2 patches resid_pre of layer 0 at all positions.
    std::vector<PatchTarget> writers{{PatchSite::Embed, 0, {}, {}}};
    for (int64_t l = 0; l < m.config().nLayers; ++l) {
        writers.push_back({PatchSite::Z, l, {}, {}});
        writers.push_back({PatchSite::MlpOut, l, {}, {}});
    }
    const std::vector<std::vector<PatchTarget>> variants{
        {}, writers, {{PatchSite::ResidPre, 0, {}, {}}}};
    for (const bool noising : {true, false}) {
        SCOPED_TRACE(noising ? "noising" : "denoising");
        const at::Tensor& base = noising ? cleanLogits : corruptedLogits;
        const at::Tensor& other = noising ? corruptedLogits : cleanLogits;
        const at::Tensor logits = runPatchedVariants(m, ids(noising ? pair.clean : pair.corrupted),
                                                     noising ? corrupted : clean, variants);
        ASSERT_EQ(logits.size(0), 3);
        const double tol = 1e-5 * scale;
        EXPECT_LE(maxDiff(logits[0], base[0]), tol);
        EXPECT_LE(maxDiff(logits[1], other[0]), tol);
        EXPECT_LE(maxDiff(logits[2], other[0]), tol);
    }
}

TEST_P(PatchingExactness, BatchedSweepEqualsOneForwardPerVariant) {
    capture::TransformerModel& m = *model;
    const std::vector<PromptPair> pairs{randomPair(m.config().vocabSize, 7, 2, 5),
                                        randomPair(m.config().vocabSize, 7, 1, 6)};
    for (PatchSite site :
         {PatchSite::Z, PatchSite::Q, PatchSite::K, PatchSite::V, PatchSite::Pattern,
          PatchSite::ResidPre, PatchSite::AttnOut, PatchSite::MlpOut}) {
        SCOPED_TRACE(patchSiteName(site));
        PatchingOptions batched;
        batched.site = site;
        batched.positions = {-1, 2};
        PatchingOptions single = batched;
        single.maxBatch = 1;
        const auto a = activationPatchingSweep(m, pairs, batched);
        const auto b = activationPatchingSweep(m, pairs, single);
        ASSERT_EQ(a.values.size(), static_cast<size_t>(m.config().nLayers));
        EXPECT_EQ(static_cast<int64_t>(a.values[0].size()), siteComponents(m, site));
        EXPECT_LT(a.forwards, b.forwards);
        for (size_t l = 0; l < a.values.size(); ++l)
            for (size_t c = 0; c < a.values[l].size(); ++c)
                EXPECT_NEAR(a.values[l][c], b.values[l][c],
                            1e-4 * std::max(1.0, std::abs(b.clean)));
    }
}

TEST_P(PatchingExactness, KvHeadPatchEqualsTheRuntimesHookPatch) {
    capture::TransformerModel& m = *model;
    const PromptPair pair = randomPair(m.config().vocabSize, 8, 2, 21);
    const int64_t layer = m.config().nLayers - 1, kvHead = m.config().nKvHeads - 1;
    PatchingOptions options;
    for (PatchSite site : {PatchSite::K, PatchSite::V, PatchSite::Z}) {
        options.site = site;
        const auto sweep = activationPatchingSweep(m, {pair}, options);
        // The same patch through the capture module's intervention, one head at a time.
        at::NoGradGuard noGrad;
        HookActivations corrupted;
        const std::string hook = patchSiteHook(site, layer);
        runWithCache(m, ids(pair.corrupted), {hook}, corrupted);
        const int64_t head = site == PatchSite::Z ? 0 : kvHead;
        capture::HookScope scope(m.hooks());
        capture::applyInterventions(
            scope, m, {capture::HookPatch{hook, corrupted.at(hook)[0], {head}, {}, -1}});
        const at::Tensor logits = m.forward(ids(pair.clean)).select(1, 0);
        const double ld = (logits[0][pair.answer] - logits[0][pair.wrong]).item<double>();
        EXPECT_NEAR(sweep.values[layer][head], ld, 1e-4 * std::max(1.0, std::abs(ld)))
            << patchSiteName(site);
    }
}

INSTANTIATE_TEST_SUITE_P(Models, PatchingExactness,
                         ::testing::Values("gpt2-tiny", "llama-tiny-gqa", "qwen2-shaped"),
                         [](const auto& info) {
                             std::string n = info.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(ActivationPatching, ReportsProgressPerPairAndStopsWhenCancelled) {
    auto model = qwen2ShapedModel(1);
    const std::vector<PromptPair> pairs{randomPair(97, 6, 1, 1), randomPair(97, 5, 1, 2)};
    std::vector<double> fractions;
    const capture::Progress progress([&](double f, const std::string&) { fractions.push_back(f); });
    activationPatchingSweep(*model, pairs, PatchingOptions{}, progress);
    ASSERT_GE(fractions.size(), 3u);
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
    EXPECT_EQ(fractions.back(), 1.0);
    std::atomic<bool> stop{true};
    EXPECT_THROW(activationPatchingSweep(*model, pairs, PatchingOptions{},
                                         capture::Progress(capture::Progress::Report{}, &stop)),
                 capture::Cancelled);
}

TEST(ActivationPatching, BadTargetsAndPairsAreInputErrors) {
    auto model = qwen2ShapedModel(1);
    const PromptPair pair = randomPair(97, 6, 1, 1);
    PatchingOptions options;
    options.positions = {6};
    EXPECT_THROW(activationPatchingSweep(*model, {pair}, options), capture::InputError);
    options.positions = {-7};
    EXPECT_THROW(activationPatchingSweep(*model, {pair}, options), capture::InputError);
    PromptPair uneven = pair;
    uneven.corrupted.pop_back();
    EXPECT_THROW(activationPatchingSweep(*model, {uneven}, PatchingOptions{}), capture::InputError);
    HookActivations none;
    at::NoGradGuard noGrad;
    EXPECT_THROW(runPatchedVariants(*model, ids(pair.clean), none, {{{PatchSite::Z, 0, {0}, {}}}}),
                 capture::InputError);  // no source activation
    HookActivations source;
    runWithCache(*model, ids(pair.corrupted), {patchSiteHook(PatchSite::K, 0)}, source);
    EXPECT_THROW(
        runPatchedVariants(*model, ids(pair.clean), source, {{{PatchSite::K, 0, {2}, {}}}}),
        capture::InputError);  // 2 KV heads
    EXPECT_THROW(
        runPatchedVariants(*model, ids(pair.clean), source, {{{PatchSite::K, 5, {0}, {}}}}),
        capture::InputError);
    EXPECT_THROW(parsePatchSite("resid_post"), capture::InputError);
    EXPECT_THROW(parsePatchDirection("up"), capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
