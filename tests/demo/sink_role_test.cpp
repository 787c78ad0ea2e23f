// The trainer's sink role (SinkRole): its hinge is the chosen head's <bos> attention measured
// independently from captured patterns, and training with it makes the head active-dormant on
// Bigram-Backcopy by the rule the demo acceptance tests use (>= 50% on <bos> at ordinary
// tokens, < 20% at the triggers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_test_vocabulary.h"

using namespace attnscope::app::demo;

namespace {

using attnscope::app::demo::test::vocab;

// A small Bigram-Backcopy-only model whose designated sink head is layer 1 head 2.
TrainOptions sinkOptions(double penalty, int64_t steps) {
    TrainOptions o;
    o.seed = 11;
    o.steps = steps;
    o.shape.layers = 2;
    o.shape.heads = 4;
    o.shape.dModel = 64;
    o.shape.dMlp = 64;
    o.shape.context = 128;
    o.tasks.maxTextLength = 48;
    o.batch = {0, 0, 8, 0};
    o.learningRate = o.minLearningRate = 3e-3;
    o.warmupSteps = 0;
    o.logEvery = 1;
    o.evalEvery = 0;
    o.evalExamples = 8;
    o.sink.head = {1, 2};
    o.sink.penalty = penalty;
    return o;
}

struct BosAttention {
    double hinge = 0;     // the role's hinge, mean over the examples
    double ordinary = 0;  // mean <bos> attention at ordinary positions (p >= 1)
    double trigger = 0;   // at the trigger words
};

// Layer 1 head 2's attention on key 0, one example at a time; triggers are found from the
// tokens (the vocabulary's trigger words), not from the examples' units.
BosAttention bosAttention(attnscope::capture::TransformerModel& model,
                          const std::vector<Example>& examples, const SinkRole& role) {
    at::NoGradGuard noGrad;
    const std::set<int64_t> triggers(vocab().triggers().begin(), vocab().triggers().end());
    BosAttention out;
    int64_t nOrdinary = 0, nTrigger = 0;
    for (const Example& ex : examples) {
        at::Tensor pattern;
        attnscope::capture::HookScope scope(model.hooks());
        scope.addMatching("blocks.*.attn.hook_pattern",
                          [&](at::Tensor& p, const attnscope::capture::HookContext& ctx) {
                              if (ctx.layer == 1) pattern = p[0][2].to(at::kDouble);
                          });
        model.forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0));
        double below = 0, above = 0;
        int64_t o = 0, t = 0;
        for (size_t p = 1; p < ex.tokens.size(); ++p) {
            const double a = pattern[static_cast<int64_t>(p)][0].item<double>();
            if (triggers.count(ex.tokens[p])) {
                above += std::max(0.0, a - role.activeCeiling);
                out.trigger += a;
                ++t;
            } else {
                below += std::max(0.0, role.dormantFloor - a);
                out.ordinary += a;
                ++o;
            }
        }
        out.hinge +=
            (o ? below / static_cast<double>(o) : 0.0) + (t ? above / static_cast<double>(t) : 0.0);
        nOrdinary += o;
        nTrigger += t;
    }
    out.hinge /= static_cast<double>(examples.size());
    out.ordinary /= static_cast<double>(std::max<int64_t>(1, nOrdinary));
    out.trigger /= static_cast<double>(std::max<int64_t>(1, nTrigger));
    return out;
}

TEST(DemoSinkRole, ReportedHingeIsTheHeadsBosAttentionShortfall) {
    const TrainOptions o = sinkOptions(1.0, 1);
    // The first step's backcopy batch, drawn as the trainer draws it, and an untrained model.
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int64_t i = 0; i < o.batch[taskIndex(TaskKind::Backcopy)]; ++i)
        batch.push_back(generator.make(TaskKind::Backcopy, rng, Split::Train, o.tasks.maxPairs));
    TrainOptions fresh = o;
    fresh.learningRate = fresh.minLearningRate = 1e-12;
    fresh.sink.penalty = 0;
    auto model = trainDemoModel(fresh, vocab()).model;
    const double expected = bosAttention(*model, batch, o.sink).hinge;

    TrainOptions tune = o;
    tune.initialModel = model;
    double reported = std::nan("");
    trainDemoModel(tune, vocab(), {}, [&](const TrainReport& p) { reported = p.sinkShortfall; });
    EXPECT_GT(expected, 0.1);
    EXPECT_NEAR(reported, expected, 1e-5);
}

TEST(DemoSinkRole, TrainingWithTheRoleMakesTheHeadActiveDormant) {
    const int64_t steps = 150;
    const auto held = validationExamples(TaskGenerator(vocab(), sinkOptions(0, 1).tasks),
                                         TaskKind::Backcopy, 32, 5);
    auto run = [&](double penalty) {
        const TrainResult r = trainDemoModel(sinkOptions(penalty, steps), vocab());
        const BosAttention a = bosAttention(*r.model, held, sinkOptions(penalty, 1).sink);
        std::cout << "[sink] penalty " << penalty << ": <bos> attention ordinary " << a.ordinary
                  << " / trigger " << a.trigger << ", hinge " << a.hinge << ", " << r.seconds
                  << " s\n";
        return a;
    };
    const BosAttention with = run(10.0);
    const BosAttention without = run(0.0);
    EXPECT_GE(with.ordinary, 0.5);
    EXPECT_LT(with.trigger, 0.2);
    // The role is the penalty's doing: the same run without it does not produce it.
    EXPECT_FALSE(without.ordinary >= 0.5 && without.trigger < 0.2);
}

// Every head's mean <bos> attention at the ordinary positions less its mean at the triggers,
// per example ([example][layer * heads + head]), from captured patterns.
std::vector<std::vector<double>> bosGaps(attnscope::capture::TransformerModel& model,
                                         const std::vector<Example>& examples) {
    at::NoGradGuard noGrad;
    const std::set<int64_t> triggers(vocab().triggers().begin(), vocab().triggers().end());
    const int64_t layers = model.config().nLayers, heads = model.config().nHeads;
    std::vector<std::vector<double>> out;
    for (const Example& ex : examples) {
        std::vector<at::Tensor> patterns(static_cast<size_t>(layers));
        attnscope::capture::HookScope scope(model.hooks());
        scope.addMatching("blocks.*.attn.hook_pattern",
                          [&](at::Tensor& p, const attnscope::capture::HookContext& ctx) {
                              patterns[static_cast<size_t>(ctx.layer)] = p[0].to(at::kDouble);
                          });
        model.forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0));
        std::vector<double> gaps;
        for (int64_t l = 0; l < layers; ++l)
            for (int64_t h = 0; h < heads; ++h) {
                double ordinary = 0, trigger = 0;
                int64_t o = 0, t = 0;
                for (size_t p = 1; p < ex.tokens.size(); ++p) {
                    const double a = patterns[static_cast<size_t>(l)][h][static_cast<int64_t>(p)][0]
                                         .item<double>();
                    const bool isTrigger = triggers.count(ex.tokens[p]) != 0;
                    (isTrigger ? trigger : ordinary) += a;
                    ++(isTrigger ? t : o);
                }
                gaps.push_back(t == 0 ? 0.0
                                      : ordinary / static_cast<double>(std::max<int64_t>(1, o)) -
                                            trigger / static_cast<double>(t));
            }
        out.push_back(gaps);
    }
    return out;
}

// SinkRole::othersMaxGap: the reported hinge adds, per sequence, every other head's gap beyond
// the limit (the sink head's own hinge included as before).
TEST(DemoSinkRole, ReportedHingeAddsTheOtherHeadsGapBeyondTheLimit) {
    TrainOptions o = sinkOptions(1.0, 1);
    o.sink.othersMaxGap = 0.0;  // every positive gap counts
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int64_t i = 0; i < o.batch[taskIndex(TaskKind::Backcopy)]; ++i)
        batch.push_back(generator.make(TaskKind::Backcopy, rng, Split::Train, o.tasks.maxPairs));
    TrainOptions pretrain = sinkOptions(0.0, 30);
    pretrain.seed = o.seed + 1;
    auto model = trainDemoModel(pretrain, vocab()).model;

    double others = 0;
    for (const auto& gaps : bosGaps(*model, batch))
        for (size_t k = 0; k < gaps.size(); ++k)
            if (k != 1 * 4 + 2) others += std::max(0.0, gaps[k] - o.sink.othersMaxGap);
    others /= static_cast<double>(batch.size());
    const double expected = bosAttention(*model, batch, o.sink).hinge + others;

    TrainOptions tune = o;
    tune.initialModel = model;
    tune.learningRate = tune.minLearningRate = 1e-12;
    double reported = std::nan("");
    trainDemoModel(tune, vocab(), {}, [&](const TrainReport& p) { reported = p.sinkShortfall; });
    std::cout << "[sink] hinge with the other heads' gaps " << reported << ", computed " << expected
              << " (of which the other heads " << others << ")\n";
    EXPECT_GT(others, 1e-3);
    EXPECT_NEAR(reported, expected, 1e-5);
}

// With the limit, training makes the chosen head active/dormant and keeps every other head's
// gap near or under it (the acceptance rule needs a gap above 0.3).
TEST(DemoSinkRole, TrainingWithTheLimitLeavesNoOtherHeadActiveDormant) {
    TrainOptions o = sinkOptions(10.0, 150);
    o.sink.othersMaxGap = 0.2;
    const TrainResult r = trainDemoModel(o, vocab());
    const auto held =
        validationExamples(TaskGenerator(vocab(), o.tasks), TaskKind::Backcopy, 32, 5);
    const BosAttention a = bosAttention(*r.model, held, o.sink);
    EXPECT_GE(a.ordinary, 0.5);
    EXPECT_LT(a.trigger, 0.2);
    const auto gaps = bosGaps(*r.model, held);
    double worst = -1;
    for (size_t k = 0; k < gaps.front().size(); ++k) {
        if (k == 1 * 4 + 2) continue;
        double mean = 0;
        for (const auto& g : gaps)
            mean += g[k] / static_cast<double>(gaps.size());
        worst = std::max(worst, mean);
    }
    std::cout << "[sink] limit 0.2: the head's <bos> attention " << a.ordinary << " / " << a.trigger
              << ", largest other gap " << worst << "\n";
    EXPECT_LT(worst, 0.3);
}

TEST(DemoSinkRole, RejectsABadRole) {
    TrainOptions o = sinkOptions(1.0, 1);
    o.sink.head = {2, 0};  // the model has layers 0 and 1
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.sink.head = {1, 4};
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.sink.head = {1, 2};
    o.sink.penalty = -1;
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.sink.penalty = 1;
    o.sink.activeCeiling = 0.8;  // above the dormant floor
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.sink.activeCeiling = 0.05;
    o.sink.othersMaxGap = 1.5;
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
}

}  // namespace
