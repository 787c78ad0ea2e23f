// The trainer itself, on a CI-sized model: the loss falls, the output folder loads back.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "attnscope/app/demo/demo_evaluation.h"
#include "attnscope/app/demo/demo_model_writer.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_test_vocabulary.h"

using namespace attnscope::app::demo;
namespace fs = std::filesystem;

namespace {

TrainOptions ciOptions() {
    TrainOptions o;
    o.seed = 7;
    o.steps = 400;
    o.shape.layers = 2;
    o.shape.heads = 4;
    o.shape.dModel = 64;
    o.shape.dMlp = 64;
    o.shape.context = 128;
    o.tasks.maxPairs = 4;
    o.tasks.maxFiller = 24;
    o.tasks.maxTextLength = 48;
    o.batch = {8, 4, 4, 16};
    o.learningRate = 3e-3;
    o.warmupSteps = 30;
    o.logEvery = 50;
    o.evalEvery = 0;
    o.evalExamples = 32;
    return o;
}

using attnscope::app::demo::test::vocab;

// One training run shared by the tests below (LibTorch start-up and training are paid once).
const TrainResult& ciRun() {
    static const TrainResult result = trainDemoModel(ciOptions(), vocab());
    return result;
}

struct TempDir {
    fs::path path =
        fs::temp_directory_path() / ("attnscope_demo_" + std::to_string(std::random_device{}()));
    ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(DemoTrainer, LossFallsOnACiSizedModel) {
    const auto& r = ciRun();
    EXPECT_EQ(r.steps, 400);
    const double uniform = std::log(static_cast<double>(vocab().size()));
    // Freshly initialised (std 0.02) logits are nearly uniform: the first step's loss is
    // ln(vocabulary size) up to the small random logits.
    for (const TaskKind task : kAllTasks)
        EXPECT_NEAR(r.firstLoss[taskIndex(task)], uniform, 0.05 * uniform) << taskName(task);
    // Stated thresholds after 400 steps (a 2-layer d-64 model): the refusal answers are a fixed
    // function of the request, so their loss nearly vanishes; Bigram-Backcopy text keeps the
    // bigram model's entropy (6 successors with weights 1-4: about 1.7 nats), so its loss falls
    // from ln(301) = 5.7 towards that floor but not below it.
    EXPECT_LT(r.lastLoss[taskIndex(TaskKind::Refusal)], 0.15);
    EXPECT_LT(r.lastLoss[taskIndex(TaskKind::Backcopy)], 2.8);
    EXPECT_GT(r.lastLoss[taskIndex(TaskKind::Backcopy)], 1.5);
    for (const TaskKind task : kAllTasks)
        EXPECT_LT(r.lastLoss[taskIndex(task)], 0.8 * r.firstLoss[taskIndex(task)])
            << taskName(task);
    EXPECT_GE(r.accuracy[taskIndex(TaskKind::Refusal)], 0.9);
}

TEST(DemoTrainer, SameSeedGivesTheSameModel) {
    TrainOptions o = ciOptions();
    o.steps = 5;
    o.batch = {4, 2, 2, 4};
    const auto a = trainDemoModel(o, vocab()), b = trainDemoModel(o, vocab());
    o.seed = 8;
    const auto c = trainDemoModel(o, vocab());
    const auto pa = a.model->parameters(), pb = b.model->parameters(), pc = c.model->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    bool anyDifferent = false;
    for (size_t i = 0; i < pa.size(); ++i) {
        EXPECT_TRUE(at::equal(pa[i], pb[i])) << i;
        anyDifferent = anyDifferent || !at::equal(pa[i], pc[i]);
    }
    EXPECT_TRUE(anyDifferent);
}

TEST(DemoTrainer, WrittenFolderLoadsLikeADownloadedCheckpoint) {
    const auto& r = ciRun();
    TempDir dir;
    const TaskGenerator gen(vocab(), ciOptions().tasks);
    writeDemoFolder(dir.path, *r.model, r.configJson, gen, 10);
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "eval/mqar.jsonl",
                          "eval/needle.jsonl", "eval/backcopy.jsonl", "eval/refusal.jsonl"})
        EXPECT_TRUE(fs::exists(dir.path / f)) << f;
    std::ifstream lines(dir.path / "eval/refusal.jsonl");
    int count = 0;
    for (std::string line; std::getline(lines, line);)
        ++count;
    EXPECT_EQ(count, 10);

    const auto loaded = attnscope::capture::loadModel(dir.path);
    EXPECT_EQ(loaded->config().architecture, "LlamaForCausalLM");
    EXPECT_EQ(loaded->config().nLayers, 2);
    EXPECT_EQ(loaded->config().vocabSize, vocab().size());
    const auto tokenizer = attnscope::capture::Tokenizer::fromModelFolder(dir.path);
    const auto ids = tokenizer->encode("user : how do i bake the bread ? assistant :", true).ids;
    ASSERT_EQ(ids.front(), DemoVocabulary::kBos);
    const at::Tensor input = at::tensor(ids, at::kLong).unsqueeze(0);
    attnscope::capture::ForwardOptions all;
    all.allLogits = true;
    at::NoGradGuard noGrad;
    const at::Tensor expected = r.model->forward(input, all);
    EXPECT_TRUE(at::allclose(loaded->forward(input, all), expected, 1e-5, 1e-5));
    // The loaded model scores like the trained one.
    const auto examples = evaluationExamples(gen, TaskKind::Refusal, 16);
    EXPECT_EQ(scoreExamples(*loaded, examples).correct, scoreExamples(*r.model, examples).correct);
}

TEST(DemoTrainer, FineTuningContinuesFromTheInitialModel) {
    // The CI run, written and loaded back as `train-demo --init` does (loaded weights do not
    // require gradients).
    TempDir dir;
    writeDemoFolder(dir.path, *ciRun().model, ciRun().configJson,
                    TaskGenerator(vocab(), ciOptions().tasks), 4);
    TrainOptions o = ciOptions();
    o.initialModel = attnscope::capture::loadModel(dir.path);
    std::vector<at::Tensor> before;
    for (const auto& p : o.initialModel->parameters())
        before.push_back(p.detach().clone());
    o.steps = 3;
    o.batch = {4, 2, 2, 4};
    o.learningRate = o.minLearningRate = 1e-4;
    o.warmupSteps = 0;
    const auto r = trainDemoModel(o, vocab());
    EXPECT_EQ(r.model.get(), o.initialModel.get());  // trained in place
    // The first loss is measured before any update: the trained model's refusal loss (below 0.15
    // after the CI run) rather than a fresh model's ln(vocabulary size) = 5.7.
    EXPECT_LT(r.firstLoss[taskIndex(TaskKind::Refusal)], 0.5);
    // Every weight moved, by at most about a learning rate per AdamW step.
    const auto after = r.model->parameters();
    ASSERT_EQ(after.size(), before.size());
    double largest = 0.0;
    bool allMoved = true;
    for (size_t i = 0; i < after.size(); ++i) {
        const double d = (after[i] - before[i]).abs().max().item<double>();
        largest = std::max(largest, d);
        allMoved = allMoved && d > 0.0;
        EXPECT_FALSE(after[i].requires_grad()) << i;
    }
    EXPECT_TRUE(allMoved);
    EXPECT_LT(largest, 3 * 3 * 1e-4);

    // An initial model of another architecture than the options describe is refused.
    TrainOptions other = o;
    other.shape.layers = 3;
    EXPECT_THROW(trainDemoModel(other, vocab()), std::invalid_argument);
}

TEST(DemoTrainer, RejectsBadOptions) {
    TrainOptions o = ciOptions();
    o.steps = 0;
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o = ciOptions();
    o.batch = {0, 0, 0, 0};
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o = ciOptions();
    o.shape.heads = 3;
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
}

namespace {

// Needle-only training of a small model whose designated retrieval head is (1, 0).
TrainOptions needleOptions(double penalty, int64_t steps) {
    TrainOptions o = ciOptions();
    o.steps = steps;
    o.batch = {0, 4, 0, 0};
    o.logEvery = 1;
    o.warmupSteps = 0;
    o.retrieval.heads = {{1, 0}};
    o.retrieval.penalty = penalty;
    return o;
}

// Mean over examples and the heads other than (1, 0) of each head's mean attention on the
// secret from the answer positions, computed from captured patterns one example at a time.
double needleAttentionElsewhere(attnscope::capture::TransformerModel& model,
                                const std::vector<Example>& examples) {
    at::NoGradGuard noGrad;
    double sum = 0;
    int64_t heads = 0;
    for (const Example& ex : examples) {
        std::vector<at::Tensor> patterns;
        attnscope::capture::HookScope scope(model.hooks());
        scope.addMatching("blocks.*.attn.hook_pattern",
                          [&](at::Tensor& p, const attnscope::capture::HookContext&) {
                              patterns.push_back(p[0].to(at::kDouble));
                          });
        model.forward(at::tensor(ex.tokens, at::kLong).unsqueeze(0));
        heads = 0;
        for (size_t l = 0; l < patterns.size(); ++l)
            for (int64_t h = 0; h < patterns[l].size(0); ++h) {
                if (l == 1 && h == 0) continue;
                double onSecret = 0;
                for (const int64_t q : ex.units.front())
                    onSecret +=
                        patterns[l][h][q].slice(0, ex.spanBegin, ex.spanEnd).sum().item<double>();
                sum += onSecret / static_cast<double>(ex.units.front().size());
                ++heads;
            }
    }
    return sum / static_cast<double>(examples.size() * heads);
}

}  // namespace

TEST(DemoTrainer, RetrievalPenaltyIsTheOtherHeadsNeedleAttention) {
    const TrainOptions o = needleOptions(1.0, 1);
    // The first step's needle batch, drawn as the trainer draws it, and the untrained model.
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    std::vector<Example> batch;
    for (int i = 0; i < 4; ++i)
        batch.push_back(generator.make(TaskKind::Needle, rng, Split::Train, o.tasks.maxPairs));
    TrainOptions fresh = o;
    fresh.learningRate = fresh.minLearningRate = 1e-12;
    fresh.retrieval.penalty = 0;
    auto model = trainDemoModel(fresh, vocab()).model;
    const double expected = needleAttentionElsewhere(*model, batch);

    TrainOptions tune = o;
    tune.initialModel = model;
    double reported = std::nan("");
    trainDemoModel(tune, vocab(), {},
                   [&](const TrainReport& p) { reported = p.needleAttentionElsewhere; });
    EXPECT_GT(expected, 0.0);
    EXPECT_NEAR(reported, expected, 1e-5);
}

TEST(DemoTrainer, RetrievalDropoutMakesTheDroppedHeadsAttendUniformly) {
    // With every other head dropped, each attends uniformly at the answer positions: its mass
    // on the secret at query q is (secret length) / (q + 1), whatever the weights are.
    TrainOptions o = needleOptions(1.0, 1);
    o.retrieval.dropout = o.shape.layers * o.shape.heads - 1;
    const TaskGenerator generator(vocab(), o.tasks);
    Rng rng(o.seed);
    double expected = 0;
    for (int i = 0; i < 4; ++i) {
        const Example ex = generator.make(TaskKind::Needle, rng, Split::Train, o.tasks.maxPairs);
        double perExample = 0;
        for (const int64_t q : ex.units.front())
            perExample +=
                static_cast<double>(ex.spanEnd - ex.spanBegin) / static_cast<double>(q + 1);
        expected += perExample / static_cast<double>(ex.units.front().size()) / 4.0;
    }
    double reported = std::nan("");
    trainDemoModel(o, vocab(), {},
                   [&](const TrainReport& p) { reported = p.needleAttentionElsewhere; });
    EXPECT_NEAR(reported, expected, 1e-5);
    o.retrieval.dropout = o.shape.layers * o.shape.heads;  // one more than there are other heads
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
}

TEST(DemoTrainer, RetrievalPenaltyDrivesOtherHeadsOffTheNeedle) {
    double withPenalty = 0, without = 0;
    trainDemoModel(needleOptions(20.0, 40), vocab(), {},
                   [&](const TrainReport& p) { withPenalty = p.needleAttentionElsewhere; });
    trainDemoModel(needleOptions(1e-12, 40), vocab(), {},
                   [&](const TrainReport& p) { without = p.needleAttentionElsewhere; });
    EXPECT_LT(withPenalty, 0.5 * without) << "penalised " << withPenalty << ", not " << without;
}

TEST(DemoTrainer, RejectsRetrievalHeadsOutsideTheModel) {
    TrainOptions o = needleOptions(1.0, 1);
    o.retrieval.heads = {{2, 0}};  // the model has layers 0 and 1
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.retrieval.heads = {{1, 4}};
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
    o.retrieval.heads = {{1, 0}};
    o.retrieval.penalty = -1;
    EXPECT_THROW(trainDemoModel(o, vocab()), std::invalid_argument);
}

TEST(DemoEvaluation, ScoresUnitsByTeacherForcing) {
    // A model whose logits always favour <eos> gets exactly the units whose answers are <eos>.
    TrainOptions o = ciOptions();
    const auto config = demoConfigJson(o.shape, vocab().size());
    auto model = std::make_shared<attnscope::capture::TransformerModel>(
        attnscope::capture::parseModelConfig(config, "test"),
        at::TensorOptions().dtype(at::kFloat));
    {
        at::NoGradGuard noGrad;
        for (auto& p : model->parameters())
            p.fill_(p.dim() == 1 ? 1.0 : 0.0);
        model->unembedWeight().zero_();
        model->embedWeight().fill_(1.0);
        model->unembedWeight()[DemoVocabulary::kEos].fill_(1.0);
    }
    Example ex;
    ex.tokens = {DemoVocabulary::kBos, vocab().id("alice"), DemoVocabulary::kEos,
                 vocab().id("bob")};
    ex.targets.assign(4, kNoTarget);
    ex.units = {{1}, {2}, {0, 1}};  // only {1} predicts <eos>
    const auto score = scoreExamples(*model, {ex, ex});
    EXPECT_EQ(score.units, 6);
    EXPECT_EQ(score.correct, 2);
}
