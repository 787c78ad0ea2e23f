// The trainer's safety role (HeadRole with dropoutWholePrompt): the dropped heads attend
// uniformly at every prompt position, as the safety analyses' query ablation makes them do, so
// that the refusal and the prompt's final hidden state (what Sahara compares) hinge on the
// chosen head alone. Checked through the loss the trainer reports for its first step, against
// the loss of the same batch computed here with the heads made uniform by a hook of our own.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "attnscope/app/demo/demo_recipe.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/transformer_model.h"

using namespace attnscope::app::demo;

namespace {

const DemoVocabulary& vocab() {
    static const DemoVocabulary v;
    return v;
}

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
    o.safety.dropoutWholePrompt = wholePrompt;
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
        const at::Tensor logits =
            model.forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0))[0].to(at::kDouble);
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
    // The first step's refusal batch, drawn as the trainer draws it, and an untrained model.
    const TrainOptions o = safetyOptions(true);
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int64_t i = 0; i < o.batch[taskIndex(TaskKind::Refusal)]; ++i)
        batch.push_back(generator.make(TaskKind::Refusal, rng, Split::Train, o.tasks.maxPairs));
    TrainOptions fresh = o;
    fresh.learningRate = fresh.minLearningRate = 1e-12;
    fresh.safety = {};
    auto model = trainDemoModel(fresh, vocab()).model;

    const double wholePrompt = lossWithUniformHeads(*model, batch, [](const Example& ex) {
        std::vector<int64_t> rows;
        for (int64_t q = 0; q < ex.promptLength; ++q)
            rows.push_back(q);
        return rows;
    });
    const double markerOnly = lossWithUniformHeads(
        *model, batch, [](const Example& ex) { return std::vector<int64_t>{ex.promptLength - 1}; });
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

TEST(DemoSafetyRole, TheRecipesSafetyPhasesDropHeadsOverTheWholePrompt) {
    int64_t safetyPhases = 0;
    for (const TrainPhase& phase : demoRecipe()) {
        if (!phase.options.safety.active()) continue;
        ++safetyPhases;
        EXPECT_TRUE(phase.options.safety.dropoutWholePrompt) << phase.name;
        EXPECT_GT(phase.options.safety.dropout, 0) << phase.name;
        // The retrieval role's dropout stays at the answer positions, where the retrieval
        // experiments mask heads (decode steps only).
        EXPECT_FALSE(phase.options.retrieval.dropoutWholePrompt) << phase.name;
    }
    EXPECT_EQ(safetyPhases, 2);
}

}  // namespace
