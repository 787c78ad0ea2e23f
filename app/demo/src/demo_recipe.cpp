#include "attnscope/app/demo/demo_recipe.h"

#include <chrono>
#include <numeric>

namespace attnscope::app::demo {
namespace {

constexpr uint64_t kWorkSampleSeed = 0xC057ULL;
constexpr int64_t kWorkSamples = 32;

// Layer 3 head 2 is the active-dormant head the README and the sink tests name. It emerged by
// chance in the run that made the shipped weights and did not come back in a rerun on another
// build, so every fine-tuning phase now enforces it (on the Bigram-Backcopy batches, which each
// phase has), as the retrieval and safety roles are enforced.
// No other head may be active/dormant as well (SinkRole::othersMaxGap): the safety heads of layer
// 0 and another layer-3 head became so in a rerun without this.
constexpr SinkRole kSinkRole{{3, 2}, 10.0, 0.7, 0.05, 0.2};

// The fine-tuning phases share a 20-step warm-up to a constant rate, AdamW weight decay 0.1, no
// MQAR curriculum (the model already knows every pair count) and the sink role.
TrainPhase fineTune(std::string name, std::string purpose, uint64_t seed, int64_t steps,
                    std::array<int64_t, kTaskCount> batch, double learningRate) {
    TrainPhase p{std::move(name), std::move(purpose), {}};
    TrainOptions& o = p.options;
    o.seed = seed;
    o.steps = steps;
    o.batch = batch;
    o.learningRate = o.minLearningRate = learningRate;
    o.warmupSteps = 20;
    o.weightDecay = 0.1;
    o.curriculumFraction = 0.0;
    o.evalEvery = 0;
    o.sink = kSinkRole;
    return p;
}

HeadRole retrievalRole(double penalty, int64_t dropout) {
    HeadRole role;
    role.heads = {{2, 0}, {2, 1}, {2, 2}};
    role.penalty = penalty;
    role.dropout = dropout;
    return role;
}

// The refusal rests on two heads, one per kind of harmful word, so that ablating either breaks
// only the refusals of requests whose one harmful word is of its kind. That unevenness is what
// Sahara's Generalized Ships measures (the angle between the top left singular vectors of the
// prompts' final states, spec 3.4): a single head that every refusal rests on moves all prompts
// alike when ablated, and its angle stays near zero. The dropout acts over the whole prompt, as
// the safety analyses' query ablation does.
HeadRole safetyRole() {
    HeadRole role;
    role.heads = {{0, 1}, {0, 5}};
    role.sourceKinds = {0, 1};  // roleSourceKinds(Refusal): verb, object
    role.penalty = 30.0;
    role.dropout = 4;
    role.wholePrompt = true;
    // What ablating either head does is trained too (HeadRole::roleHeadDropout).
    role.roleHeadDropout = 0.3;
    return role;
}

}  // namespace

std::vector<TrainPhase> demoRecipe() {
    // The batch mixes, in taskIndex order: mqar, needle, backcopy, refusal.
    const std::array<int64_t, kTaskCount> backcopy = {24, 8, 48, 12};
    const std::array<int64_t, kTaskCount> needle = {24, 16, 48, 12};
    const std::array<int64_t, kTaskCount> refusal = {24, 16, 48, 24};
    std::vector<TrainPhase> r;
    r.push_back({"base", "every task from scratch (MQAR pairs ramped 4 to 8)", {}});
    r.push_back(fineTune("sink-1", "Bigram-Backcopy weighted: an active/dormant head forms", 1, 100,
                         backcopy, 3e-3));
    r.push_back(fineTune("sink-2", "the same at a tenth of the rate", 1, 100, backcopy, 3e-4));
    auto retrieval = [&](std::string name, uint64_t seed, int64_t steps, double lr, double penalty,
                         int64_t dropout, std::array<int64_t, kTaskCount> batch,
                         std::string purpose) {
        TrainPhase p = fineTune(std::move(name), std::move(purpose), seed, steps, batch, lr);
        p.options.retrieval = retrievalRole(penalty, dropout);
        return p;
    };
    r.push_back(retrieval("retrieval-1", 3, 200, 1e-3, 5, 0, needle,
                          "the needle copied by layer 2 heads 0-2 only"));
    r.push_back(retrieval("retrieval-2", 4, 100, 3e-4, 5, 0, needle, "the same, lower rate"));
    r.push_back(retrieval("retrieval-3", 5, 150, 1e-3, 30, 0, needle, "stronger penalty"));
    r.push_back(retrieval("retrieval-4", 6, 100, 3e-4, 30, 0, needle, "the same, lower rate"));
    r.push_back(retrieval("sink-3", 1, 35, 3e-3, 30, 0, backcopy,
                          "restores the active/dormant head the retrieval phases moved"));
    r.push_back(retrieval("sink-4", 1, 100, 3e-4, 30, 0, backcopy, "the same, lower rate"));
    r.push_back(retrieval("retrieval-5", 7, 150, 1e-3, 30, 4, needle,
                          "recall robust to masking random other heads"));
    for (const auto& [name, seed, steps, lr] :
         {std::tuple{"safety-1", 8, 150, 1e-3}, std::tuple{"safety-2", 9, 100, 3e-4}}) {
        TrainPhase p = retrieval(name, seed, steps, lr, 30, 4, refusal,
                                 "the refusal decided by layer 0 heads 1 (harmful verbs) and 5 "
                                 "(harmful objects)");
        p.options.safety = safetyRole();
        r.push_back(p);
    }
    return r;
}

double phaseWork(const TrainOptions& options, const DemoVocabulary& vocabulary) {
    const TaskGenerator generator(vocabulary, options.tasks);
    Rng rng(kWorkSampleSeed);
    double tokensPerStep = 0.0;
    for (const TaskKind task : kAllTasks) {
        const int64_t b = options.batch[taskIndex(task)];
        if (b == 0) continue;
        double length = 0.0;
        for (int64_t i = 0; i < kWorkSamples; ++i)
            length += static_cast<double>(generator.make(task, rng, Split::Train).tokens.size());
        tokensPerStep += static_cast<double>(b) * length / kWorkSamples;
    }
    return tokensPerStep * static_cast<double>(options.steps);
}

RecipeResult trainDemoRecipe(const std::vector<TrainPhase>& phases,
                             const DemoVocabulary& vocabulary, const capture::Progress& progress,
                             const TrainLogFn& log, const PhaseStartFn& onPhase,
                             const PhaseEndFn& onPhaseEnd) {
    std::vector<double> work;
    for (const TrainPhase& p : phases)
        work.push_back(phaseWork(p.options, vocabulary));
    const double total = std::accumulate(work.begin(), work.end(), 0.0);
    const auto start = std::chrono::steady_clock::now();
    RecipeResult result;
    double done = 0.0;
    for (size_t i = 0; i < phases.size(); ++i) {
        TrainOptions options = phases[i].options;
        if (i > 0) options.initialModel = result.final.model;
        if (onPhase) onPhase(i);
        result.final = trainDemoModel(options, vocabulary,
                                      progress.part(done / total, (done + work[i]) / total), log);
        result.phases.push_back(result.final);
        if (onPhaseEnd) onPhaseEnd(i, result.final);
        done += work[i];
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace attnscope::app::demo
