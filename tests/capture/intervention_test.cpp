// Interventions checked against quantities computed independently in the test.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <atomic>

#include "attnscope/capture/attention_statistics.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/generation.h"
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::capture {
namespace {

class InterventionTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / GetParam();
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = loadModel(dir);
        at::manual_seed(1234);
        ids = at::randint(0, model->config().vocabSize, {1, 12},
                          at::TensorOptions().dtype(at::kLong));
    }

    // Runs with `interventions`, capturing `hooks`; returns last-position logits [batch, vocab].
    at::Tensor run(const at::Tensor& input, const std::vector<Intervention>& interventions,
                   const std::vector<std::string>& hooks, ActivationCache& cache) {
        HookScope scope(model->hooks());
        applyInterventions(scope, *model, interventions);
        CaptureSpec spec;
        spec.hooks = hooks;
        if (!hooks.empty()) attachCapture(scope, model->hooks(), spec, cache);
        return model->forward(input).select(1, -1);
    }

    std::shared_ptr<TransformerModel> model;
    at::Tensor ids;
};

TEST_P(InterventionTest, ZeroAblationRemovesTheHeadsTermFromAttnOut) {
    const int64_t layer = 1, head = 2, d = model->config().headDim;
    ActivationCache base, ablated;
    run(ids, {}, {"blocks.1.attn.hook_z", "blocks.1.hook_attn_out"}, base);
    HeadAblation a;
    a.layer = layer;
    a.heads = {head};
    run(ids, {a}, {"blocks.1.hook_attn_out"}, ablated);

    // The head's write computed here from z and W_O: o_h = z_h W_O[:, h·d:(h+1)·d]^T.
    const at::Tensor z = base.get("blocks.1.attn.hook_z").select(2, head);  // [batch, pos, d]
    const at::Tensor wOh = model->block(layer).attn->wO.narrow(1, head * d, d);
    const at::Tensor expected = base.get("blocks.1.hook_attn_out") - at::matmul(z, wOh.t());
    EXPECT_TRUE(at::allclose(ablated.get("blocks.1.hook_attn_out"), expected, 1e-5, 1e-5));
}

TEST_P(InterventionTest, HookResultSumsToAttnOut) {
    ActivationCache cache;
    run(ids, {}, {"blocks.0.attn.hook_result", "blocks.0.hook_attn_out"}, cache);
    at::Tensor sum = cache.get("blocks.0.attn.hook_result").sum(2);
    const auto& bO = model->block(0).attn->bO;
    if (bO.defined()) sum = sum + bO;
    EXPECT_TRUE(at::allclose(sum, cache.get("blocks.0.hook_attn_out"), 1e-5, 1e-5));
}

TEST_P(InterventionTest, PatchingEveryHookFromACachedRunReproducesItsLogits) {
    const at::Tensor other =
        at::randint(0, model->config().vocabSize, {1, 12}, at::TensorOptions().dtype(at::kLong));
    ActivationCache source;
    const at::Tensor sourceLogits = run(other, {}, {"*"}, source);
    std::vector<Intervention> patches;
    for (const auto& name : source.names()) {
        if (name == "logits") continue;
        HookPatch p;
        p.hook = name;
        p.value = source.get(name)[0];
        patches.push_back(p);
    }
    ActivationCache unused;
    const at::Tensor patched = run(ids, patches, {}, unused);
    const at::Tensor clean = run(ids, {}, {}, unused);
    EXPECT_FALSE(at::allclose(clean, sourceLogits, 1e-3, 1e-3));  // the inputs really differ
    EXPECT_TRUE(at::allclose(patched, sourceLogits, 1e-5, 1e-5));
}

TEST_P(InterventionTest, BatchedAblationsEqualSingleForwards) {
    std::vector<Intervention> single = {
        HeadAblation{0, {1}, AblationMode::Zero, {}, -1},
        HeadScale{1, {0, 3}, 0.25, ScaleTarget::Output, -1},
        HeadScale{1, {2}, 1e-4, ScaleTarget::Query, -1},
        StreamingRestriction{0, {0}, 1, 3, -1},
    };
    const int64_t B = static_cast<int64_t>(single.size()) + 1;  // last element: no edit
    std::vector<Intervention> batched;
    for (int64_t b = 0; b + 1 < B; ++b) {
        Intervention i = single[b];
        std::visit([b](auto& v) { v.batch = b; }, i);
        batched.push_back(i);
    }
    ActivationCache unused;
    const at::Tensor together = run(ids.expand({B, -1}).contiguous(), batched, {}, unused);
    for (int64_t b = 0; b < B; ++b) {
        std::vector<Intervention> one;
        if (b + 1 < B) one.push_back(single[b]);
        const at::Tensor alone = run(ids, one, {}, unused);
        EXPECT_TRUE(at::allclose(together[b], alone[0], 1e-4, 1e-5)) << "batch element " << b;
    }
    EXPECT_FALSE(at::allclose(together[0], together[B - 1], 1e-4, 1e-5));
}

TEST_P(InterventionTest, StreamingRestrictionMasksExactlyTheHiddenKeys) {
    StreamingRestriction s{1, {3}, 2, 3, -1};
    ActivationCache cache;
    run(ids, {s}, {"blocks.1.attn.hook_pattern"}, cache);
    const at::Tensor p = cache.get("blocks.1.attn.hook_pattern")[0][3];  // [query, key]
    for (int64_t i = 0; i < p.size(0); ++i) {
        double rowSum = 0;
        for (int64_t j = 0; j < p.size(1); ++j) {
            const bool visible = j <= i && (j < 2 || j > i - 3);
            const double w = p[i][j].item<double>();
            if (!visible) {
                EXPECT_EQ(w, 0.0) << i << "," << j;
            }
            rowSum += w;
        }
        EXPECT_NEAR(rowSum, 1.0, 1e-5);
    }
}

TEST_P(InterventionTest, PatternEditCallbackReplacesThePattern) {
    // Move all attention to the first token: the head then outputs v_0 at every position.
    PatternEdit e;
    e.layer = 0;
    e.heads = {1};
    e.edit = [](const at::Tensor& p, int64_t, int64_t) {
        at::Tensor out = at::zeros_like(p);
        out.select(1, 0).fill_(1.0);
        return out;
    };
    ActivationCache cache;
    run(ids, {e}, {"blocks.0.attn.hook_z", "blocks.0.attn.hook_v"}, cache);
    const int64_t kv = 1 / (model->config().nHeads / model->config().nKvHeads);
    const at::Tensor z = cache.get("blocks.0.attn.hook_z")[0].select(1, 1);  // [pos, d]
    const at::Tensor v0 = cache.get("blocks.0.attn.hook_v")[0][0][kv];       // [d]
    EXPECT_TRUE(at::allclose(z, v0.expand_as(z), 1e-6, 1e-6));
}

TEST_P(InterventionTest, KvCachedGenerationMatchesFullRecomputation) {
    GenerationOptions o;
    o.maxNewTokens = 8;
    const auto cached = generate(*model, ids, o);
    o.useCache = false;
    const auto full = generate(*model, ids, o);
    ASSERT_EQ(cached.stepLogits.size(), full.stepLogits.size());
    EXPECT_TRUE(at::equal(cached.tokens, full.tokens));
    for (std::size_t s = 0; s < full.stepLogits.size(); ++s)
        EXPECT_TRUE(at::allclose(cached.stepLogits[s], full.stepLogits[s], 1e-4, 1e-4)) << s;
}

TEST_P(InterventionTest, BlockwiseAttentionEqualsFullAttention) {
    CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern_lse", "blocks.*.attn.hook_z"};
    ActivationCache fullCache, blockCache;
    ForwardOptions full, blocked;
    full.allLogits = blocked.allLogits = true;
    blocked.scoreBudgetBytes = 1;  // never the full scores: the tiled (blockwise) path
    at::Tensor a, b;
    {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, fullCache);
        a = model->forward(ids, full);
    }
    {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, blockCache);
        b = model->forward(ids, blocked);
    }
    EXPECT_LE((a - b).abs().max().item<double>(), 1e-4 * a.abs().max().item<double>());
    for (const auto& name : fullCache.names()) {
        const at::Tensor x = fullCache.get(name), y = blockCache.get(name);
        EXPECT_LE((x - y).abs().max().item<double>(), 1e-5 * (1 + x.abs().max().item<double>()))
            << name;
    }
}

TEST_P(InterventionTest, CaptureSpecSelectsLayersHeadsAndPositions) {
    CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z"};
    spec.layers = {1};
    spec.heads = {0, 2};
    spec.positions = {3, 5};
    ActivationCache all, some;
    run(ids, {}, {"blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z"}, all);
    {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, some);
        model->forward(ids);
    }
    EXPECT_EQ(some.names(),
              (std::vector<std::string>{"blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z"}));
    const at::Tensor p = some.get("blocks.1.attn.hook_pattern");
    ASSERT_EQ(p.sizes(), (std::vector<int64_t>{1, 2, 2, 12}));
    EXPECT_TRUE(at::equal(p[0][1][0], all.get("blocks.1.attn.hook_pattern")[0][2][3]));
    const at::Tensor z = some.get("blocks.1.attn.hook_z");
    ASSERT_EQ(z.sizes(), (std::vector<int64_t>{1, 2, 2, model->config().headDim}));
    EXPECT_TRUE(at::equal(z[0][1][0], all.get("blocks.1.attn.hook_z")[0][5][0]));
}

TEST_P(InterventionTest, BadInterventionsAreRejectedWithClearErrors) {
    ActivationCache unused;
    EXPECT_THROW(run(ids, {HeadAblation{9, {0}, AblationMode::Zero, {}, -1}}, {}, unused),
                 InputError);
    EXPECT_THROW(run(ids, {HeadAblation{0, {99}, AblationMode::Zero, {}, -1}}, {}, unused),
                 InputError);
    HookPatch p;
    p.hook = "blocks.0.no_such_hook";
    p.value = at::zeros({1});
    EXPECT_THROW(run(ids, {p}, {}, unused), InputError);
    try {
        run(ids, {HeadAblation{0, {0}, AblationMode::Zero, {}, 5}}, {}, unused);
        FAIL() << "expected an error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("batch element 5"), std::string::npos) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InterventionTest,
                         ::testing::Values("gpt2-tiny", "llama-tiny-gqa"));

}  // namespace
}  // namespace attnscope::capture

namespace attnscope::capture {
namespace {

TEST_P(InterventionTest, BlockwiseStatisticsEqualThoseOfTheFullPattern) {
    ActivationCache cache;
    CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern"};
    {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids);
    }
    AttentionStatistics stats;
    stats.keyPositions = {0, 2};
    ForwardOptions options;
    options.statistics = &stats;
    options.scoreBudgetBytes = 1;  // never the full scores: the tiled (blockwise) path
    model->forward(ids, options);
    for (int64_t l = 0; l < model->config().nLayers; ++l) {
        const at::Tensor p = cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern");
        // Computed here from the full pattern, element by element where it matters.
        const at::Tensor mass = p.select(-1, 0) + p.select(-1, 2);
        at::Tensor entropy = at::zeros_like(mass);
        for (int64_t k = 0; k < p.size(-1); ++k) {
            const at::Tensor pk = p.select(-1, k);
            entropy -= at::where(pk > 0, pk * pk.log(), at::zeros_like(pk));
        }
        EXPECT_TRUE(at::allclose(stats.massOnKeys[l], mass, 1e-5, 1e-6)) << l;
        EXPECT_TRUE(at::allclose(stats.rowEntropy[l], entropy, 1e-4, 1e-5)) << l;
        EXPECT_TRUE(at::equal(stats.rowArgmax[l], p.argmax(-1))) << l;
    }
}

}  // namespace
}  // namespace attnscope::capture

namespace attnscope::capture {
namespace {

TEST_P(InterventionTest, SamplingIsSeededAndTopOneSamplingIsGreedy) {
    GenerationOptions greedy;
    greedy.maxNewTokens = 6;
    GenerationOptions sampled = greedy;
    sampled.greedy = false;
    sampled.seed = 7;
    sampled.temperature = 1.5;
    const auto a = generate(*model, ids, sampled);
    const auto b = generate(*model, ids, sampled);
    EXPECT_TRUE(at::equal(a.tokens, b.tokens));
    sampled.topK = 1;
    EXPECT_TRUE(
        at::equal(generate(*model, ids, sampled).tokens, generate(*model, ids, greedy).tokens));
}

TEST_P(InterventionTest, StopTokenEndsGenerationAndIsKept) {
    GenerationOptions o;
    o.maxNewTokens = 6;
    const auto free = generate(*model, ids, o);
    const int64_t stop = free.tokens[0][2].item<int64_t>();
    o.stopTokens = {stop};
    const auto stopped = generate(*model, ids, o);
    // Generation stops at the first occurrence of the stop token, which is kept.
    int64_t first = 0;
    while (free.tokens[0][first].item<int64_t>() != stop)
        ++first;
    EXPECT_EQ(stopped.tokens.size(1), first + 1);
    EXPECT_EQ(stopped.tokens[0][first].item<int64_t>(), stop);
}

TEST_P(InterventionTest, CancelledGenerationStopsBeforeTheNextStep) {
    std::atomic<bool> cancel{false};
    std::vector<double> reports;
    GenerationOptions o;
    o.maxNewTokens = 8;
    o.progress = Progress(
        [&](double f, const std::string&) {
            reports.push_back(f);
            if (reports.size() == 3) cancel = true;
        },
        &cancel);
    int64_t steps = 0;
    EXPECT_THROW(generate(*model, ids, o,
                          [&](int64_t, const at::Tensor&, const at::Tensor&) {
                              ++steps;
                              return true;
                          }),
                 Cancelled);
    EXPECT_EQ(steps, 3);  // cancelled after the third step's report: no fourth forward
    EXPECT_EQ(reports, (std::vector<double>{1.0 / 8, 2.0 / 8, 3.0 / 8}));
}

TEST_P(InterventionTest, BFloat16ComputeStaysCloseToFloat32) {
    const auto dir = test::fixturesDir() / "parity" / GetParam();
    LoadOptions bf16;
    bf16.dtype = ComputeDType::BFloat16;
    auto low = loadModel(dir, bf16);
    EXPECT_EQ(low->block(0).attn->wQkv.scalar_type(), at::kBFloat16);
    const at::Tensor a = at::softmax(model->forward(ids), -1),
                     b = at::softmax(low->forward(ids), -1);
    EXPECT_EQ(b.scalar_type(), at::kFloat);
    // bfloat16 keeps 8 bits of mantissa: next-token distributions agree to a few percent.
    EXPECT_LT((a - b).abs().max().item<double>(), 0.05);
}

TEST_P(InterventionTest, PromptPlusNewTokensLongerThanTheContextIsRefusedUpFront) {
    GenerationOptions o;
    o.maxNewTokens = model->config().maxPositions;
    EXPECT_THROW(generate(*model, ids, o), InputError);
}

}  // namespace
}  // namespace attnscope::capture
