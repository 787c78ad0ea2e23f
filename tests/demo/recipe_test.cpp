// The recipe runs its phases in one process exactly as separate `train-demo --init` runs would,
// and every training path stops on cancel without publishing a model.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/app/demo/demo_model_writer.h"
#include "attnscope/app/demo/demo_recipe.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_test_vocabulary.h"
#include "fixture_paths.h"
#include "temp_dir.h"

using namespace attnscope::app::demo;
using attnscope::capture::Cancelled;
using attnscope::capture::Progress;

namespace {

using attnscope::app::demo::test::vocab;

// A tiny model and task sizes: a step takes milliseconds.
TrainOptions tiny(uint64_t seed, int64_t steps) {
    TrainOptions o;
    o.seed = seed;
    o.steps = steps;
    o.shape.layers = 2;
    o.shape.heads = 2;
    o.shape.dModel = 16;
    o.shape.dMlp = 16;
    o.shape.context = 128;
    o.tasks.maxPairs = 4;
    o.tasks.maxFiller = 16;
    o.tasks.maxTextLength = 32;
    o.batch = {2, 1, 1, 2};
    o.warmupSteps = 2;
    o.logEvery = 1;
    o.evalEvery = 0;
    o.evalExamples = 4;
    return o;
}

// Phase 2 differs from phase 1 in everything a recipe phase sets.
std::vector<TrainPhase> twoPhases() {
    TrainOptions second = tiny(5, 3);
    second.batch = {1, 2, 3, 1};
    second.learningRate = second.minLearningRate = 1e-3;
    second.weightDecay = 0.1;
    second.curriculumFraction = 0.0;
    second.retrieval.heads = {{1, 0}};
    second.retrieval.penalty = 2.0;
    second.retrieval.dropout = 1;
    second.sink = {{1, 1}, 2.0, 0.7, 0.05};
    return {{"one", "fresh", tiny(3, 4)}, {"two", "fine-tune", second}};
}

TEST(DemoRecipe, PhasesInOneProcessEqualSeparateFineTuningRuns) {
    const auto phases = twoPhases();
    const RecipeResult together = trainDemoRecipe(phases, vocab());
    ASSERT_EQ(together.phases.size(), 2u);
    EXPECT_EQ(together.phases[0].steps, 4);
    EXPECT_EQ(together.final.steps, 3);

    // The same two runs as separate commands: the first written to a folder, the second
    // loaded from it with writable weights (train-demo --init).
    const TrainResult first = trainDemoModel(phases[0].options, vocab());
    attnscope::test::TempDir dir;
    writeDemoFolder(dir.path(), *first.model, first.configJson,
                    TaskGenerator(vocab(), phases[0].options.tasks), 2);
    TrainOptions second = phases[1].options;
    attnscope::capture::LoadOptions load;
    load.writableWeights = true;
    second.initialModel = attnscope::capture::loadModel(dir.path(), load);
    const TrainResult separate = trainDemoModel(second, vocab());

    const auto a = together.final.model->named_parameters();
    const auto b = separate.model->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& item : a)
        EXPECT_TRUE(at::equal(item.value(), b[item.key()])) << item.key();
    EXPECT_EQ(together.final.lastLoss, separate.lastLoss);
}

TEST(DemoRecipe, ProgressCoversTheWholeRecipeWeightedByWork) {
    const auto phases = twoPhases();
    std::vector<double> fractions;
    std::vector<size_t> started;
    trainDemoRecipe(phases, vocab(),
                    Progress([&](double f, const std::string&) { fractions.push_back(f); }), {},
                    [&](size_t i) { started.push_back(i); });
    EXPECT_EQ(started, (std::vector<size_t>{0, 1}));
    ASSERT_EQ(fractions.size(), 7u);  // one report per step
    EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
    EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
    // Phase 1 ends at its share of the estimated work.
    const double w1 = phaseWork(phases[0].options, vocab());
    const double w2 = phaseWork(phases[1].options, vocab());
    EXPECT_NEAR(fractions[3], w1 / (w1 + w2), 1e-12);
    // The estimate counts tokens: phase 2's batch holds more sequences a step.
    EXPECT_GT(w2 / 3, w1 / 4);
}

TEST(DemoRecipe, CancelStopsTheRunningPhaseAndPublishesNoModel) {
    const auto phases = twoPhases();
    std::atomic<bool> cancel{false};
    std::vector<int64_t> logged;  // steps of the second phase that completed
    size_t phase = 0;
    const Progress progress([&](double, const std::string&) {}, &cancel);
    EXPECT_THROW(trainDemoRecipe(
                     phases, vocab(), progress,
                     [&](const TrainReport& r) {
                         if (phase == 1) logged.push_back(r.step);
                         if (phase == 1 && r.step == 2) cancel = true;
                     },
                     [&](size_t i) { phase = i; }),
                 Cancelled);
    EXPECT_EQ(logged, (std::vector<int64_t>{1, 2}));  // the third step never ran
}

TEST(DemoTrainer, CancelFromTheProgressCallbackStopsBeforeTheNextStep) {
    std::atomic<bool> cancel{false};
    std::vector<double> fractions;
    std::vector<int64_t> logged;
    const Progress progress(
        [&](double f, const std::string&) {
            fractions.push_back(f);
            if (fractions.size() == 3) cancel = true;
        },
        &cancel);
    EXPECT_THROW(trainDemoModel(tiny(1, 10), vocab(), progress,
                                [&](const TrainReport& r) { logged.push_back(r.step); }),
                 Cancelled);
    EXPECT_EQ(fractions, (std::vector<double>{0.1, 0.2, 0.3}));
    EXPECT_EQ(logged, (std::vector<int64_t>{1, 2, 3}));
}

TEST(DemoRecipe, TheShippedRecipeStartsFromScratchAndFineTunesAfter) {
    const auto recipe = demoRecipe();
    ASSERT_GE(recipe.size(), 2u);
    EXPECT_FALSE(recipe.front().options.initialModel);
    EXPECT_GT(recipe.front().options.curriculumFraction, 0.0);
    for (size_t i = 1; i < recipe.size(); ++i) {
        const TrainOptions& o = recipe[i].options;
        EXPECT_EQ(o.curriculumFraction, 0.0) << recipe[i].name;
        EXPECT_EQ(o.learningRate, o.minLearningRate) << recipe[i].name;  // constant after warm-up
        EXPECT_FALSE(recipe[i].purpose.empty()) << recipe[i].name;
    }
    // The roles the analyses are tested to find (tests/retrieval, tests/safety).
    const TrainOptions& last = recipe.back().options;
    EXPECT_EQ(last.retrieval.heads,
              (std::vector<std::pair<int64_t, int64_t>>{{2, 0}, {2, 1}, {2, 2}}));
    // The refusal rests on layer 0 head 1 for harmful verbs and head 5 for harmful objects.
    EXPECT_EQ(last.safety.heads, (std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {0, 5}}));
    ASSERT_EQ(roleSourceKinds(TaskKind::Refusal).size(), 2u);
    EXPECT_EQ(
        roleSourceKinds(TaskKind::Refusal)[static_cast<size_t>(last.safety.sourceKinds.at(0))],
        "verb");
    EXPECT_EQ(
        roleSourceKinds(TaskKind::Refusal)[static_cast<size_t>(last.safety.sourceKinds.at(1))],
        "object");
    // The active/dormant head of the README and tests/retrieval's sink test.
    EXPECT_TRUE(last.sink.active());
    EXPECT_EQ(last.sink.head, (std::pair<int64_t, int64_t>{3, 2}));
}

// training.json's "recipe" lists the phases as train-demo runs them, the sink role included.
TEST(DemoRecipe, TrainingJsonRecordsThePhasesAndTheirSinkRole) {
    const auto path = attnscope::test::sourceDir() / "resources/models/demo/training.json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const auto phases = nlohmann::json::parse(in).at("recipe").at("phases");
    const auto recipe = demoRecipe();
    ASSERT_EQ(phases.size(), recipe.size());
    int64_t steps = 0;
    for (size_t i = 0; i < recipe.size(); ++i) {
        const TrainOptions& o = recipe[i].options;
        const auto& p = phases[i];
        steps += o.steps;
        EXPECT_EQ(p.at("name").get<std::string>(), recipe[i].name);
        EXPECT_EQ(p.at("purpose").get<std::string>(), recipe[i].purpose);
        EXPECT_EQ(p.at("steps").get<int64_t>(), o.steps) << recipe[i].name;
        // Where each role's dropout acts (the safety phases: over the whole prompt).
        for (const auto& [key, role] :
             {std::pair{"retrieval", &o.retrieval}, std::pair{"safety", &o.safety}}) {
            ASSERT_EQ(p.contains(key), role->active()) << recipe[i].name << " " << key;
            if (!role->active()) continue;
            EXPECT_EQ(p.at(key).at("dropout").get<int64_t>(), role->dropout) << recipe[i].name;
            // Each head, with the kind of source token it alone reads where the role names one.
            std::vector<std::string> heads;
            for (size_t h = 0; h < role->heads.size(); ++h)
                heads.push_back(
                    std::to_string(role->heads[h].first) + "." +
                    std::to_string(role->heads[h].second) +
                    (role->sourceKinds.empty()
                         ? ""
                         : ":" + roleSourceKinds(key == std::string("safety") ? TaskKind::Refusal
                                                                              : TaskKind::Needle)
                                     .at(static_cast<size_t>(role->sourceKinds[h]))));
            EXPECT_EQ(p.at(key).at("heads").get<std::vector<std::string>>(), heads)
                << recipe[i].name;
            EXPECT_DOUBLE_EQ(p.at(key).value("role_dropout", 0.0), role->roleHeadDropout)
                << recipe[i].name;
            EXPECT_EQ(p.at(key).at("dropout_rows").get<std::string>(),
                      role->wholePrompt ? "prompt" : "decision")
                << recipe[i].name << " " << key;
        }
        ASSERT_EQ(p.contains("sink"), o.sink.active()) << recipe[i].name;
        if (!o.sink.active()) continue;
        const auto& s = p.at("sink");
        EXPECT_EQ(s.at("head").get<std::string>(),
                  std::to_string(o.sink.head.first) + "." + std::to_string(o.sink.head.second));
        EXPECT_DOUBLE_EQ(s.at("penalty").get<double>(), o.sink.penalty);
        EXPECT_DOUBLE_EQ(s.at("dormant_floor").get<double>(), o.sink.dormantFloor);
        EXPECT_DOUBLE_EQ(s.at("active_ceiling").get<double>(), o.sink.activeCeiling);
        EXPECT_DOUBLE_EQ(s.at("others_max_gap").get<double>(), o.sink.othersMaxGap);
    }
}

// The recipe is the path that made the shipped weights: the base run and the fine-tuning stages
// whose command lines training.json recorded when they were run one by one.
TEST(DemoRecipe, PhasesAreTheRecordedStagesOfTheShippedModel) {
    const auto path = attnscope::test::sourceDir() / "resources/models/demo/training.json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const auto record = nlohmann::json::parse(in);
    std::vector<nlohmann::json> stages = {record.at("base")};
    for (const auto& s : record.at("fine_tune"))
        stages.push_back(s);
    const auto recipe = demoRecipe();
    ASSERT_EQ(recipe.size(), stages.size());
    for (size_t i = 0; i < recipe.size(); ++i) {
        // The stage's options as its command line gave them, over the trainer's defaults
        // (fine-tuning: no curriculum).
        TrainOptions want;
        if (i > 0) want.curriculumFraction = 0.0;
        const auto args = stages[i].at("arguments").get<std::vector<std::string>>();
        auto heads = [](const std::string& text) {
            std::vector<std::pair<int64_t, int64_t>> out;
            std::istringstream list(text);
            for (std::string item; std::getline(list, item, ',');)
                out.emplace_back(std::stoll(item.substr(0, item.find('.'))),
                                 std::stoll(item.substr(item.find('.') + 1)));
            return out;
        };
        for (size_t a = 0; a + 1 < args.size(); ++a) {
            const std::string& k = args[a];
            const std::string& v = args[a + 1];
            if (k == "--seed") want.seed = std::stoull(v);
            if (k == "--steps") want.steps = std::stoll(v);
            if (k == "--lr") want.learningRate = std::stod(v);
            if (k == "--min-lr") want.minLearningRate = std::stod(v);
            if (k == "--warmup") want.warmupSteps = std::stoll(v);
            if (k == "--weight-decay") want.weightDecay = std::stod(v);
            if (k == "--retrieval-heads") want.retrieval.heads = heads(v);
            if (k == "--retrieval-penalty") want.retrieval.penalty = std::stod(v);
            if (k == "--retrieval-dropout") want.retrieval.dropout = std::stoll(v);
            if (k == "--safety-heads") want.safety.heads = heads(v);
            if (k == "--safety-penalty") want.safety.penalty = std::stod(v);
            if (k == "--safety-dropout") want.safety.dropout = std::stoll(v);
            if (k == "--batch") {
                std::istringstream list(v);
                for (std::string item; std::getline(list, item, ',');)
                    want.batch[taskIndex(*taskFromName(item.substr(0, item.find('='))))] =
                        std::stoll(item.substr(item.find('=') + 1));
            }
        }
        const TrainOptions& have = recipe[i].options;
        const std::string name = recipe[i].name;
        EXPECT_EQ(have.seed, want.seed) << name;
        EXPECT_EQ(have.steps, want.steps) << name;
        EXPECT_EQ(have.batch, want.batch) << name;
        EXPECT_DOUBLE_EQ(have.learningRate, want.learningRate) << name;
        EXPECT_DOUBLE_EQ(have.minLearningRate, want.minLearningRate) << name;
        EXPECT_EQ(have.warmupSteps, want.warmupSteps) << name;
        EXPECT_DOUBLE_EQ(have.weightDecay, want.weightDecay) << name;
        EXPECT_DOUBLE_EQ(have.curriculumFraction, want.curriculumFraction) << name;
        EXPECT_EQ(have.retrieval.heads, want.retrieval.heads) << name;
        EXPECT_DOUBLE_EQ(have.retrieval.penalty, want.retrieval.penalty) << name;
        EXPECT_EQ(have.retrieval.dropout, want.retrieval.dropout) << name;
        // The recipe split the stages' one safety head over two (training.json's recipe note):
        // the stages' head is its first, the harmful verbs' head.
        ASSERT_EQ(have.safety.heads.empty(), want.safety.heads.empty()) << name;
        if (!want.safety.heads.empty()) {
            ASSERT_EQ(want.safety.heads.size(), 1u) << name;
            EXPECT_EQ(have.safety.heads.front(), want.safety.heads.front()) << name;
        }
        EXPECT_DOUBLE_EQ(have.safety.penalty, want.safety.penalty) << name;
        EXPECT_EQ(have.safety.dropout, want.safety.dropout) << name;
        EXPECT_EQ(have.tasks.maxPairs, want.tasks.maxPairs) << name;
    }
}

}  // namespace
