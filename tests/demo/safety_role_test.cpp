// The trainer's safety role (HeadRole::wholePrompt): the dropped heads attend
// uniformly at every prompt position, as the safety analyses' query ablation makes them do, so
// that the refusal and the prompt's final hidden state (what Sahara compares) hinge on the
// chosen head alone. Checked through the loss the trainer reports for its first step, against
// the loss of the same batch computed here with the heads made uniform by a hook of our own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>

#include "attnscope/app/demo/demo_recipe.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_test_vocabulary.h"

using namespace attnscope::app::demo;
using attnscope::app::demo::test::vocab;

namespace {

// A small refusal-only run whose designated safety head is layer 0 head 1, with every other
// head dropped (so that which heads are dropped is not left to the trainer's random draw).
TrainOptions safetyOptions(bool wholePrompt) {
    TrainOptions o;
    o.seed = 13;
    o.steps = 1;
    o.shape.layers = 2;
    o.shape.heads = 4;
    o.shape.dModel = 64;
    o.shape.dMlp = 64;
    o.shape.context = 128;
    o.batch = {0, 0, 0, 8};
    o.warmupSteps = 0;
    o.logEvery = 1;
    o.evalEvery = 0;
    o.evalExamples = 8;
    o.safety.heads = {{0, 1}};
    o.safety.penalty = 1.0;
    o.safety.dropout = o.shape.layers * o.shape.heads - 1;
    o.safety.wholePrompt = wholePrompt;
    return o;
}

// Mean token cross-entropy of the examples' supervised positions, with every head other than
// layer 0 head 1 attending uniformly (over the causal prefix) at the rows `dropped(example)`.
double lossWithUniformHeads(attnscope::capture::TransformerModel& model,
                            const std::vector<Example>& examples,
                            const std::function<std::vector<int64_t>(const Example&)>& dropped) {
    at::NoGradGuard noGrad;
    double sum = 0;
    int64_t count = 0;
    for (const Example& ex : examples) {
        const std::vector<int64_t> rows = dropped(ex);
        attnscope::capture::HookScope scope(model.hooks());
        scope.addMatching(
            "blocks.*.attn.hook_pattern",
            [&](at::Tensor& p, const attnscope::capture::HookContext& ctx) {
                at::Tensor edited = p.clone();
                for (int64_t h = 0; h < edited.size(1); ++h) {
                    if (ctx.layer == 0 && h == 1) continue;
                    for (const int64_t q : rows) {
                        edited[0][h][q].zero_();
                        edited[0][h][q].slice(0, 0, q + 1).fill_(1.0 / static_cast<double>(q + 1));
                    }
                }
                p = edited;
            });
        attnscope::capture::ForwardOptions all;
        all.allLogits = true;
        const at::Tensor logits =
            model.forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0), all)[0].to(at::kDouble);
        const at::Tensor logProbs = at::log_softmax(logits, -1);
        for (size_t t = 0; t < ex.targets.size(); ++t) {
            if (ex.targets[t] == kNoTarget) continue;
            sum -= logProbs[static_cast<int64_t>(t)][ex.targets[t]].item<double>();
            ++count;
        }
    }
    return sum / static_cast<double>(count);
}

TEST(DemoSafetyRole, WholePromptDropoutMakesTheOtherHeadsUniformAtEveryPromptPosition) {
    // The first step's refusal batch, drawn as the trainer draws it, and a model trained a
    // little without the role (an untrained one attends almost uniformly everywhere already).
    const TrainOptions o = safetyOptions(true);
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int64_t i = 0; i < o.batch[taskIndex(TaskKind::Refusal)]; ++i)
        batch.push_back(generator.make(TaskKind::Refusal, rng, Split::Train, o.tasks.maxPairs));
    TrainOptions pretrain = o;
    pretrain.seed = o.seed + 1;
    pretrain.steps = 80;
    pretrain.learningRate = pretrain.minLearningRate = 3e-3;
    pretrain.safety = {};
    auto model = trainDemoModel(pretrain, vocab()).model;

    const double wholePrompt = lossWithUniformHeads(*model, batch, [](const Example& ex) {
        std::vector<int64_t> rows;
        for (int64_t q = 0; q < ex.promptLength; ++q)
            rows.push_back(q);
        return rows;
    });
    const double markerOnly = lossWithUniformHeads(
        *model, batch, [](const Example& ex) { return std::vector<int64_t>{ex.promptLength - 1}; });
    std::cout << "[safety] first-step refusal loss, other heads uniform over the prompt "
              << wholePrompt << ", at the answer marker only " << markerOnly << "\n";
    // The two ablations are told apart by this batch and model.
    ASSERT_GT(std::abs(wholePrompt - markerOnly), 1e-3);

    auto firstLoss = [&](bool whole) {
        TrainOptions tune = safetyOptions(whole);
        tune.initialModel = model;
        tune.learningRate = tune.minLearningRate = 1e-12;
        return trainDemoModel(tune, vocab()).firstLoss[taskIndex(TaskKind::Refusal)];
    };
    EXPECT_NEAR(firstLoss(true), wholePrompt, 1e-4);
    EXPECT_NEAR(firstLoss(false), markerOnly, 1e-4);
}

// Fraction of the harmful requests whose first answer token (the refusal's "I") is no longer the
// greedy prediction at the answer marker when `head` attends uniformly at every prompt position
// (what Ships' and Sahara's query ablation does).
double refusalsBrokenBy(attnscope::capture::TransformerModel& model,
                        const std::vector<Example>& harmful, std::pair<int64_t, int64_t> head) {
    at::NoGradGuard noGrad;
    int broken = 0;
    for (const Example& ex : harmful) {
        const std::vector<int64_t> prompt(ex.tokens.begin(), ex.tokens.begin() + ex.promptLength);
        attnscope::capture::HookScope scope(model.hooks());
        scope.addMatching("blocks.*.attn.hook_pattern",
                          [&](at::Tensor& p, const attnscope::capture::HookContext& ctx) {
                              if (ctx.layer != head.first) return;
                              const int64_t t = p.size(2);
                              const at::Tensor uniform =
                                  at::ones({t, t}).tril() /
                                  at::arange(1, t + 1, at::kFloat).unsqueeze(1);
                              at::Tensor edited = p.clone();
                              edited[0][head.second] = uniform;
                              p = edited;
                          });
        const at::Tensor logits = model.forward(at::tensor(prompt, at::kLong).unsqueeze(0));
        broken += logits.reshape({-1}).argmax().item<int64_t>() != ex.tokens[ex.promptLength];
    }
    return static_cast<double>(broken) / static_cast<double>(harmful.size());
}

struct RefusalHeads {
    double safetyHead = 0;  // refusals broken by ablating layer 0 head 1
    double worstOther = 0;  // the most any other single head breaks
    double accuracy = 0;    // validation accuracy of the refusal task
};

RefusalHeads trainRefusal(bool withRole) {
    TrainOptions o = safetyOptions(true);
    o.steps = 300;
    o.batch = {0, 0, 0, 16};
    o.learningRate = o.minLearningRate = 3e-3;
    o.warmupSteps = 20;
    o.safety.penalty = withRole ? 30.0 : 0.0;
    o.safety.dropout = withRole ? 3 : 0;
    const TrainResult r = trainDemoModel(o, vocab());
    std::vector<Example> harmful;
    for (const Example& ex :
         validationExamples(TaskGenerator(vocab(), o.tasks), TaskKind::Refusal, 64, 5))
        if (ex.harmful) harmful.push_back(ex);
    EXPECT_GE(harmful.size(), 16u);
    RefusalHeads out;
    out.accuracy = r.accuracy[taskIndex(TaskKind::Refusal)];
    for (int64_t l = 0; l < o.shape.layers; ++l)
        for (int64_t h = 0; h < o.shape.heads; ++h) {
            const double broken = refusalsBrokenBy(*r.model, harmful, {l, h});
            std::cout << "[safety] " << (withRole ? "role" : "no role") << ": head " << l << "."
                      << h << " ablated breaks " << broken << " of the refusals\n";
            if (l == 0 && h == 1)
                out.safetyHead = broken;
            else
                out.worstOther = std::max(out.worstOther, broken);
        }
    return out;
}

TEST(DemoSafetyRole, TrainingWithTheRoleMakesTheRefusalHingeOnTheSafetyHeadAlone) {
    const RefusalHeads with = trainRefusal(true);
    EXPECT_GE(with.accuracy, 0.9);
    EXPECT_GE(with.safetyHead, 0.5);
    EXPECT_LE(with.worstOther, 0.05);
    // The role is the penalty's and the dropout's doing: the same run without them does not
    // make layer 0 head 1 the one head the refusal hinges on.
    const RefusalHeads without = trainRefusal(false);
    EXPECT_FALSE(without.safetyHead >= 0.5 && without.worstOther <= 0.05);
}

// The split role (HeadRole::sourceKinds): layer 0 head 1 reads the harmful verbs, layer 0 head 2
// the harmful objects. The penalty the trainer reports for its first step equals the mean,
// over the batch's sequences and the penalised heads (every head outside the role, and each
// role head for the other kind), of their attention on the harmful words they must not read,
// per prompt row, computed here from the attention patterns.
TrainOptions splitOptions() {
    TrainOptions o = safetyOptions(true);
    o.safety.heads = {{0, 1}, {0, 2}};
    o.safety.sourceKinds = {0, 1};  // verb, object
    o.safety.dropout = 0;
    return o;
}

TEST(DemoSafetyRole, SplitRolePenalisesEachRoleHeadOnTheOtherKindOnly) {
    TrainOptions pretrain = splitOptions();
    pretrain.steps = 40;
    pretrain.safety = {};
    auto model = trainDemoModel(pretrain, vocab()).model;

    TrainOptions o = splitOptions();
    o.initialModel = model;
    o.learningRate = o.minLearningRate = 1e-12;
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int64_t i = 0; i < o.batch[taskIndex(TaskKind::Refusal)]; ++i)
        batch.push_back(generator.make(TaskKind::Refusal, rng, Split::Train, o.tasks.maxPairs));
    double expected = 0;
    int verbs = 0, objects = 0;
    {
        at::NoGradGuard noGrad;
        for (const Example& ex : batch) {
            verbs += !ex.harmfulVerbPositions.empty();
            objects += !ex.harmfulObjectPositions.empty();
            std::vector<at::Tensor> patterns(static_cast<size_t>(o.shape.layers));
            attnscope::capture::HookScope scope(model->hooks());
            scope.addMatching("blocks.*.attn.hook_pattern",
                              [&](at::Tensor& p, const attnscope::capture::HookContext& ctx) {
                                  patterns[static_cast<size_t>(ctx.layer)] = p[0].clone();
                              });
            model->forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0));
            // Mean over the prompt's rows (the role acts over the whole prompt).
            for (int64_t l = 0; l < o.shape.layers; ++l)
                for (int64_t h = 0; h < o.shape.heads; ++h) {
                    const bool verbHead = l == 0 && h == 1, objectHead = l == 0 && h == 2;
                    for (int64_t q = 0; q < ex.promptLength; ++q) {
                        const at::Tensor row = patterns[static_cast<size_t>(l)][h][q];
                        double mass = 0;
                        if (!verbHead)
                            for (const int64_t k : ex.harmfulVerbPositions)
                                mass += row[k].item<double>();
                        if (!objectHead)
                            for (const int64_t k : ex.harmfulObjectPositions)
                                mass += row[k].item<double>();
                        expected += mass / static_cast<double>(ex.promptLength);
                    }
                }
        }
    }
    // Every head of the model is penalised for some kind: the role heads for the other one.
    expected /=
        static_cast<double>(batch.size() * static_cast<size_t>(o.shape.layers * o.shape.heads));
    ASSERT_GT(verbs, 0);
    ASSERT_GT(objects, 0);

    double reported = std::nan("");
    trainDemoModel(o, vocab(), {},
                   [&](const TrainReport& r) { reported = r.harmfulAttentionElsewhere; });
    std::cout << "[safety] split role, first-step penalty " << reported << ", computed " << expected
              << "\n";
    EXPECT_GT(expected, 1e-4);
    EXPECT_NEAR(reported, expected, 1e-5);
}

// Fraction of `harmful` whose refusal `head` breaks, over the requests whose harmful words are
// of one kind only.
struct SplitBreaks {
    double verbOnly = 0, objectOnly = 0;
};

SplitBreaks splitBreaks(attnscope::capture::TransformerModel& model,
                        const std::vector<Example>& harmful, std::pair<int64_t, int64_t> head) {
    std::vector<Example> verbOnly, objectOnly;
    for (const Example& ex : harmful) {
        if (ex.harmfulObjectPositions.empty()) verbOnly.push_back(ex);
        if (ex.harmfulVerbPositions.empty()) objectOnly.push_back(ex);
    }
    EXPECT_GE(verbOnly.size(), 10u);
    EXPECT_GE(objectOnly.size(), 10u);
    return {refusalsBrokenBy(model, verbOnly, head), refusalsBrokenBy(model, objectOnly, head)};
}

TEST(DemoSafetyRole, SplitRoleMakesEachKindOfHarmfulWordHingeOnItsOwnHead) {
    TrainOptions o = splitOptions();
    o.steps = 300;
    o.batch = {0, 0, 0, 16};
    o.learningRate = o.minLearningRate = 3e-3;
    o.warmupSteps = 20;
    o.safety.penalty = 30.0;
    o.safety.dropout = 3;
    o.safety.roleHeadDropout = 0.3;
    o.evalExamples = 64;
    const TrainResult r = trainDemoModel(o, vocab());
    EXPECT_GE(r.accuracy[taskIndex(TaskKind::Refusal)], 0.9);
    std::vector<Example> harmful;
    for (const Example& ex :
         validationExamples(TaskGenerator(vocab(), o.tasks), TaskKind::Refusal, 160, 5))
        if (ex.harmful) harmful.push_back(ex);
    const SplitBreaks verbHead = splitBreaks(*r.model, harmful, {0, 1});
    const SplitBreaks objectHead = splitBreaks(*r.model, harmful, {0, 2});
    std::cout << "[safety] split role: verb head breaks " << verbHead.verbOnly
              << " of the verb-only and " << verbHead.objectOnly
              << " of the object-only refusals; object head " << objectHead.verbOnly << " / "
              << objectHead.objectOnly << "\n";
    EXPECT_GE(verbHead.verbOnly, 0.5);
    EXPECT_LE(verbHead.objectOnly, 0.05);
    EXPECT_GE(objectHead.objectOnly, 0.5);
    EXPECT_LE(objectHead.verbOnly, 0.05);
    double worstOther = 0;
    for (int64_t l = 0; l < o.shape.layers; ++l)
        for (int64_t h = 0; h < o.shape.heads; ++h)
            if (!(l == 0 && (h == 1 || h == 2)))
                worstOther = std::max(worstOther, refusalsBrokenBy(*r.model, harmful, {l, h}));
    // The trained weights depend on the machine's BLAS kernels (AVX2 or AVX-512 OpenBLAS
    // kernels sum in different orders): the worst other head broke 0% of the refusals on one
    // machine and 8.75% on another, with the role heads at 100% of their kind on both. What
    // must hold is that the refusal rests on the role heads, not on any other head.
    EXPECT_LE(worstOther, 0.15);
    EXPECT_LE(worstOther, 0.2 * std::min(verbHead.verbOnly, objectHead.objectOnly));
}

TEST(DemoSafetyRole, TheRecipesSafetyPhasesDropHeadsOverTheWholePrompt) {
    int64_t safetyPhases = 0;
    for (const TrainPhase& phase : demoRecipe()) {
        if (!phase.options.safety.active()) continue;
        ++safetyPhases;
        EXPECT_TRUE(phase.options.safety.wholePrompt) << phase.name;
        EXPECT_GT(phase.options.safety.dropout, 0) << phase.name;
        // The retrieval role's dropout stays at the answer positions, where the retrieval
        // experiments mask heads (decode steps only).
        EXPECT_FALSE(phase.options.retrieval.wholePrompt) << phase.name;
    }
    EXPECT_EQ(safetyPhases, 2);
}

}  // namespace
