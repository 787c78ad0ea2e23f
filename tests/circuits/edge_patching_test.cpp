// Edge patching is exact (spec 6.6): keeping every edge gives the clean logits and removing every
// edge the corrupted ones, on GPT-2, Llama-GQA and Qwen2 shaped models; removing the edges out of
// one head, or into one q or k input, equals patching that activation with the runtime's hooks;
// exact edge scores are single-edge removals.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <set>

#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/load_error.h"
#include "edge_test_models.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::HookContext;
using capture::HookScope;

at::Tensor idsOf(const std::vector<PromptPair>& pairs, bool corrupted) {
    std::vector<at::Tensor> rows;
    for (const auto& p : pairs)
        rows.push_back(at::tensor(corrupted ? p.corrupted : p.clean, at::kLong));
    return at::stack(rows);
}

at::Tensor lastLogits(capture::TransformerModel& model, const at::Tensor& ids) {
    at::NoGradGuard noGrad;
    return model.forward(ids).select(1, 0);
}

// The mean over pairs of answer − wrong in last-position logits [pairs, vocab].
double meanLogitDiff(const at::Tensor& logits, const std::vector<PromptPair>& pairs) {
    double sum = 0;
    for (size_t i = 0; i < pairs.size(); ++i)
        sum += logits[static_cast<int64_t>(i)][pairs[i].answer].item<double>() -
               logits[static_cast<int64_t>(i)][pairs[i].wrong].item<double>();
    return sum / static_cast<double>(pairs.size());
}

// Runs the clean prompts with activation `hook`[..., index, :] taken from the corrupted run.
at::Tensor patchedRun(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                      const std::string& hook, int64_t index) {
    at::NoGradGuard noGrad;
    at::Tensor corruptedValue;
    {
        HookScope scope(model.hooks());
        scope.add(hook, [&](at::Tensor& a, const HookContext&) { corruptedValue = a.clone(); });
        model.forward(idsOf(pairs, true));
    }
    HookScope scope(model.hooks());
    scope.add(hook, [&](at::Tensor& a, const HookContext&) {
        at::Tensor patched = a.clone();
        patched.select(2, index).copy_(corruptedValue.select(2, index));
        a = patched;
    });
    return model.forward(idsOf(pairs, false)).select(1, 0);
}

void expectClose(const at::Tensor& actual, const at::Tensor& expected, const char* what,
                 double tolerance = 1e-4) {
    const double scale = expected.abs().max().item<double>();
    const double error = (actual - expected).abs().max().item<double>();
    EXPECT_LT(error, tolerance * std::max(1.0, scale)) << what << ": max error " << error;
}

struct Architecture {
    const char* name;
    std::string config;
};

class EdgeExactness : public ::testing::TestWithParam<Architecture> {};

TEST_P(EdgeExactness, KeepAllGivesCleanAndRemoveAllGivesCorrupted) {
    auto model = test::randomModel(GetParam().config, 7);
    const auto pairs = test::randomPairs(model->config().vocabSize, 3, 9, 11);
    EdgePatcher patcher(*model, pairs);
    const auto edges = static_cast<size_t>(patcher.graph().edgeCount());
    const at::Tensor clean = lastLogits(*model, idsOf(pairs, false));
    const at::Tensor corrupted = lastLogits(*model, idsOf(pairs, true));
    ASSERT_GT((clean - corrupted).abs().max().item<double>(), 1e-2) << "pairs too alike";
    expectClose(patcher.circuitLogits(std::vector<uint8_t>(edges, 1)), clean, "keep all");
    expectClose(patcher.circuitLogits(std::vector<uint8_t>(edges, 0)), corrupted, "remove all");

    // The cached metric values agree with the runtime's logits.
    EXPECT_NEAR(patcher.fullModel(), meanLogitDiff(clean, pairs), 1e-4);
    EXPECT_NEAR(patcher.emptyCircuit(), meanLogitDiff(corrupted, pairs), 1e-4);
    EXPECT_NEAR(patcher.faithfulness(patcher.fullModel()), 1.0, 1e-9);
}

TEST_P(EdgeExactness, RemovingEdgesEqualsPatchingTheActivation) {
    auto model = test::randomModel(GetParam().config, 5);
    const auto& config = model->config();
    const auto pairs = test::randomPairs(config.vocabSize, 2, 8, 3);
    EdgePatcher patcher(*model, pairs);
    const EdgeGraph& graph = patcher.graph();
    const auto all = std::vector<uint8_t>(static_cast<size_t>(graph.edgeCount()), 1);

    // Every edge out of head a1.h2 removed = its output (hook_result) from the corrupted run.
    {
        auto kept = all;
        const int sender = graph.headNode(1, 2);
        for (int r = 0; r < static_cast<int>(graph.receivers().size()); ++r)
            if (const int64_t e = graph.edgeIndex(sender, r); e >= 0)
                kept[static_cast<size_t>(e)] = 0;
        expectClose(patcher.circuitLogits(kept),
                    patchedRun(*model, pairs, "blocks.1.attn.hook_result", 2), "head output");
    }
    // Every edge into a2.h1<q> removed = that head's q from the corrupted run.
    {
        auto kept = all;
        const int r = graph.qReceiver(2, 1);
        std::fill_n(kept.begin() + graph.firstEdge(r), graph.senderCount(r), 0);
        expectClose(patcher.circuitLogits(kept),
                    patchedRun(*model, pairs, "blocks.2.attn.hook_q", 1), "q input");
    }
    // Every edge into the k input of the last KV head of layer 1 (per KV head on GQA models).
    {
        auto kept = all;
        const int kv = static_cast<int>(config.nKvHeads) - 1;
        const int r = graph.kReceiver(1, kv);
        std::fill_n(kept.begin() + graph.firstEdge(r), graph.senderCount(r), 0);
        expectClose(patcher.circuitLogits(kept),
                    patchedRun(*model, pairs, "blocks.1.attn.hook_k", kv), "k input");
    }
}

TEST_P(EdgeExactness, ZeroAblationOfEverythingLeavesOnlyBiases) {
    auto model = test::randomModel(GetParam().config, 9);
    const auto pairs = test::randomPairs(model->config().vocabSize, 2, 6, 5);
    EdgePatchingOptions options;
    options.ablation = "zero";
    EdgePatcher patcher(*model, pairs, options);
    const auto edges = static_cast<size_t>(patcher.graph().edgeCount());
    // With every edge removed each receiver reads only the attention output biases, the same
    // for every prompt: all pairs get the same logits.
    // Each input is then R − Σ z_u, zero up to rounding, which RMSNorm (ε = 1e-6) magnifies.
    at::Tensor logits = patcher.circuitLogits(std::vector<uint8_t>(edges, 0));
    expectClose(logits[1], logits[0], "prompt-independent", 1e-3);
    expectClose(patcher.circuitLogits(std::vector<uint8_t>(edges, 1)),
                lastLogits(*model, idsOf(pairs, false)), "keep all");
}

TEST_P(EdgeExactness, OneForwardGivesTheMetricAndTheLogits) {
    auto model = test::randomModel(GetParam().config, 9);
    const auto pairs = test::randomPairs(model->config().vocabSize, 3, 7, 21);
    EdgePatcher patcher(*model, pairs);
    std::vector<uint8_t> kept(static_cast<size_t>(patcher.graph().edgeCount()), 1);
    for (size_t e = 0; e < kept.size(); e += 3)
        kept[e] = 0;
    const double metric = patcher.evaluate(kept);
    const at::Tensor logits = patcher.circuitLogits(kept);
    const int64_t before = patcher.forwardCount();
    at::Tensor both;
    EXPECT_DOUBLE_EQ(patcher.evaluate(kept, &both), metric);
    EXPECT_EQ(patcher.forwardCount(), before + 1);  // the slider's one patched forward
    ASSERT_EQ(both.sizes(), logits.sizes());
    EXPECT_TRUE(at::equal(both, logits));
    // Rows in pair order: row 0 is what a patcher of the first pair alone measures.
    EdgePatcher first(*model, {pairs[0]});
    EXPECT_NEAR(both[0][pairs[0].answer].item<double>() - both[0][pairs[0].wrong].item<double>(),
                first.evaluate(kept), 1e-4);
}

// Exact edge patching scores each edge by removing it alone, in forwards that start at the
// edge's receiver from the clean run. Two scores are checked against the runtime's hooks: the
// last MLP feeds only the logits, so removing m{L-1}->logits is patching its output; removing
// input->logits adds the corrupted minus clean embedding to the final residual stream. Every
// score is checked against evaluate(), whose forward removes the edge from the start.
TEST_P(EdgeExactness, ExactScoresAreSingleEdgeRemovals) {
    auto model = test::randomModel(GetParam().config, 13);
    const auto& config = model->config();
    const auto pairs = test::randomPairs(config.vocabSize, 3, 7, 21);
    EdgePatchingOptions twoBatches;
    twoBatches.batchSize = 2;
    EdgePatcher patcher(*model, pairs, twoBatches);
    const EdgeGraph& graph = patcher.graph();
    const Circuit c = exactEdgeScores(patcher);
    EXPECT_EQ(c.method, "exact");
    ASSERT_EQ(static_cast<int64_t>(c.scores.size()), graph.edgeCount());
    EXPECT_EQ(c.parameters["forwards"], graph.edgeCount());
    EXPECT_TRUE(c.inCircuit.empty());

    const double clean = meanLogitDiff(lastLogits(*model, idsOf(pairs, false)), pairs);
    auto scoreOf = [&](int sender) {
        return c.scores[static_cast<size_t>(graph.edgeIndex(sender, graph.logitsReceiver()))];
    };
    const std::string last = "blocks." + std::to_string(config.nLayers - 1);
    // The loss (−logit difference) rises by the drop of the logit difference.
    at::NoGradGuard noGrad;
    at::Tensor corruptedMlp;
    {
        HookScope scope(model->hooks());
        scope.add(last + ".hook_mlp_out",
                  [&](at::Tensor& a, const HookContext&) { corruptedMlp = a.clone(); });
        model->forward(idsOf(pairs, true));
    }
    {
        HookScope scope(model->hooks());
        scope.add(last + ".hook_mlp_out",
                  [&](at::Tensor& a, const HookContext&) { a = corruptedMlp.clone(); });
        const double patched =
            meanLogitDiff(model->forward(idsOf(pairs, false)).select(1, 0), pairs);
        EXPECT_NEAR(scoreOf(graph.mlpNode(static_cast<int>(config.nLayers) - 1)), clean - patched,
                    1e-4 * std::max(1.0, std::fabs(clean)));
    }
    {
        const at::Tensor shift = at::embedding(model->embedWeight(), idsOf(pairs, true)) -
                                 at::embedding(model->embedWeight(), idsOf(pairs, false));
        HookScope scope(model->hooks());
        scope.add(last + ".hook_resid_post",
                  [&](at::Tensor& a, const HookContext&) { a = a + shift; });
        const double patched =
            meanLogitDiff(model->forward(idsOf(pairs, false)).select(1, 0), pairs);
        EXPECT_NEAR(scoreOf(graph.inputNode()), clean - patched,
                    1e-4 * std::max(1.0, std::fabs(clean)));
    }
    // Every score is the metric with that edge alone removed, for every kind of ablation.
    auto expectSingleRemovals = [&](EdgePatcher& p, const std::vector<float>& scores) {
        std::vector<uint8_t> kept(static_cast<size_t>(graph.edgeCount()), 1);
        for (int64_t e = 0; e < graph.edgeCount(); ++e) {
            kept[static_cast<size_t>(e)] = 0;
            EXPECT_NEAR(scores[static_cast<size_t>(e)], p.fullModel() - p.evaluate(kept), 1e-5)
                << graph.edgeName(e) << ", " << p.options().ablation;
            kept[static_cast<size_t>(e)] = 1;
        }
    };
    expectSingleRemovals(patcher, c.scores);
    for (const char* ablation : {"zero", "mean"}) {
        EdgePatchingOptions options;
        options.ablation = ablation;
        EdgePatcher ablating(*model, pairs, options);
        expectSingleRemovals(ablating, exactEdgeScores(ablating).scores);
    }

    // With KL to the clean run every removal costs something (KL >= 0).
    EdgePatchingOptions klOptions;
    klOptions.metric = "kl";
    EdgePatcher klPatcher(*model, pairs, klOptions);
    const Circuit kl = exactEdgeScores(klPatcher);
    EXPECT_EQ(kl.metric, "kl");
    EXPECT_GE(*std::min_element(kl.scores.begin(), kl.scores.end()), -1e-5);
    EXPECT_GT(*std::max_element(kl.scores.begin(), kl.scores.end()), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Architectures, EdgeExactness,
                         ::testing::Values(Architecture{"gpt2", test::gpt2Config()},
                                           Architecture{"llama_gqa", test::llamaGqaConfig()},
                                           Architecture{"qwen2", test::qwen2Config()}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(EdgePatcher, RejectsBadInput) {
    auto model = test::randomModel(test::gpt2Config(), 1);
    auto pairs = test::randomPairs(model->config().vocabSize, 2, 5, 1);
    EXPECT_THROW(EdgePatcher(*model, std::vector<PromptPair>{}), capture::InputError);
    auto unequal = pairs;
    unequal[1].corrupted.pop_back();
    unequal[1].line = 7;
    try {
        EdgePatcher patcher(*model, unequal);
        FAIL() << "unequal lengths accepted";
    } catch (const capture::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("line 7"), std::string::npos) << e.what();
    }
    auto outOfRange = pairs;
    outOfRange[0].answer = 1000;
    EXPECT_THROW(EdgePatcher(*model, outOfRange), capture::InputError);
    auto tooLong = pairs;
    tooLong[0].clean.assign(40, 1);
    tooLong[0].corrupted.assign(40, 2);
    EXPECT_THROW(EdgePatcher(*model, tooLong), capture::InputError);
    EdgePatchingOptions options;
    options.ablation = "blur";
    EXPECT_THROW(EdgePatcher(*model, pairs, options), std::invalid_argument);
    EdgePatcher patcher(*model, pairs);
    EXPECT_THROW(patcher.evaluate({1, 0}), std::invalid_argument);
    EXPECT_THROW(eapIg(patcher, 0), std::invalid_argument);
    EXPECT_THROW(eapIg(patcher, kMaxIgSteps + 1), std::invalid_argument);
    EXPECT_THROW(acdc(patcher, -0.1), std::invalid_argument);
    EXPECT_THROW(acdc(patcher, NAN), std::invalid_argument);
}

}  // namespace
}  // namespace attnscope::analysis::circuits

namespace attnscope::analysis::circuits {
namespace {

TEST(Acdc, ReportsEveryReceiverAndStopsWhenCancelled) {
    auto model = test::randomModel(test::gpt2Config(), 3);
    EdgePatcher patcher(*model, test::randomPairs(model->config().vocabSize, 2, 5, 8));
    const auto receivers = patcher.graph().receivers().size();
    std::set<std::string> messages;
    // The observer sees every receiver's decision: kept sets only ever shrink, and the last
    // one is the result.
    std::vector<int64_t> removed;
    std::vector<uint8_t> lastKept;
    const Circuit c = acdc(
        patcher, 0.01, capture::Progress([&](double, const std::string& m) { messages.insert(m); }),
        [&](const std::vector<uint8_t>& kept, const std::vector<float>& scores) {
            EXPECT_EQ(scores.size(), kept.size());
            removed.push_back(std::count(kept.begin(), kept.end(), uint8_t{0}));
            lastKept = kept;
        });
    // One message per receiver plus the final one.
    EXPECT_EQ(messages.size(), receivers + 1);
    EXPECT_EQ(removed.size(), receivers);
    EXPECT_TRUE(std::is_sorted(removed.begin(), removed.end()));
    EXPECT_EQ(lastKept, c.inCircuit);

    std::atomic<bool> cancel{false};
    int reports = 0;
    const capture::Progress cancelling(
        [&](double, const std::string&) {
            if (++reports == 3) cancel = true;
        },
        &cancel);
    EXPECT_THROW(acdc(patcher, 0.01, cancelling), capture::Cancelled);
    EXPECT_EQ(reports, 3);
}

TEST(ExactEdgeScores, ReportsProgressAndStopsWhenCancelled) {
    auto model = test::randomModel(test::gpt2Config(), 3);
    EdgePatcher patcher(*model, test::randomPairs(model->config().vocabSize, 2, 5, 8));
    std::vector<double> fractions;
    exactEdgeScores(
        patcher, capture::Progress([&](double f, const std::string&) { fractions.push_back(f); }));
    ASSERT_GE(fractions.size(), 3u);
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
    EXPECT_EQ(fractions.front(), 0.0);
    EXPECT_EQ(fractions.back(), 1.0);

    std::atomic<bool> cancel{false};
    int reports = 0;
    const int64_t forwards = patcher.forwardCount();
    const capture::Progress cancelling(
        [&](double, const std::string&) {
            if (++reports == 2) cancel = true;
        },
        &cancel);
    EXPECT_THROW(exactEdgeScores(patcher, cancelling), capture::Cancelled);
    EXPECT_EQ(reports, 2);
    EXPECT_EQ(patcher.forwardCount(), forwards);  // nothing counted for the cancelled run
}

}  // namespace
}  // namespace attnscope::analysis::circuits
