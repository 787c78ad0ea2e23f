#include "attnscope/app/demo/demo_trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include "attnscope/app/demo/demo_evaluation.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/transformer_model.h"
#include "head_shaping.h"

namespace attnscope::app::demo {
namespace {

constexpr uint64_t kValidationSeed = 0x7A11DA7EULL;

void validateRole(const TrainOptions& o, const HeadRole& role, const std::string& what,
                  TaskKind task) {
    if (!(role.penalty >= 0))
        throw std::invalid_argument("the " + what + " penalty must not be negative");
    const auto kinds = static_cast<int64_t>(roleSourceKinds(task).size());
    if (!role.sourceKinds.empty() && role.sourceKinds.size() != role.heads.size())
        throw std::invalid_argument("the " + what + " role names a source kind for " +
                                    std::to_string(role.sourceKinds.size()) + " of its " +
                                    std::to_string(role.heads.size()) + " heads");
    for (const int64_t kind : role.sourceKinds)
        if (kind < 0 || kind >= kinds)
            throw std::invalid_argument("the " + what + " role has no source kind " +
                                        std::to_string(kind) + " (it has " + std::to_string(kinds) +
                                        ")");
    if (!(role.roleHeadDropout >= 0 && role.roleHeadDropout <= 1))
        throw std::invalid_argument("the " + what + " role-head dropout must be in [0, 1]");
    if (role.roleHeadDropout > 0 && (task != TaskKind::Refusal || role.sourceKinds.empty()))
        throw std::invalid_argument(
            "the " + what +
            " role-head dropout needs a refusal role whose heads each have a source kind");
    const int64_t others = o.shape.layers * o.shape.heads - static_cast<int64_t>(role.heads.size());
    if (role.dropout < 0 || role.dropout > others)
        throw std::invalid_argument("the " + what +
                                    " dropout must be between 0 and the number of other heads (" +
                                    std::to_string(others) + ")");
    for (const auto& [layer, head] : role.heads)
        if (layer < 0 || layer >= o.shape.layers || head < 0 || head >= o.shape.heads)
            throw std::invalid_argument(what + " head " + std::to_string(layer) + "." +
                                        std::to_string(head) + " is not a head of the model (" +
                                        std::to_string(o.shape.layers) + " layers of " +
                                        std::to_string(o.shape.heads) + " heads)");
}

// Where the roles act in one sequence: the needle answer's positions reading the secret; the
// refusal's answer marker reading the harmful verb and object (none in a benign request), by
// roleSourceKinds. The penalty and the dropout act there, or at every prompt position: a head
// ablated over the whole prompt loses what it read at any position, so a role head that read
// the other kind's words at an earlier position would still carry them.
ShapedRows shapedRows(const Example& ex, const HeadRole& role) {
    ShapedRows s;
    if (ex.task == TaskKind::Needle) {
        s.rows = ex.units.front();
        s.keys.emplace_back();
        for (int64_t k = ex.spanBegin; k < ex.spanEnd; ++k)
            s.keys.back().push_back(k);
    } else {
        s.rows = {ex.promptLength - 1};
        s.keys = {ex.harmfulVerbPositions, ex.harmfulObjectPositions};
    }
    if (role.wholePrompt) {
        s.rows.clear();
        for (int64_t q = 0; q < ex.promptLength; ++q)
            s.rows.push_back(q);
    }
    s.droppedRows = s.rows;
    return s;
}

// HeadRole::roleHeadDropout: per sequence, with that probability, one role head (drawn uniformly)
// is dropped too, and a request harmful only by that head's kind of words gets the benign answer.
void dropRoleHeads(std::vector<Example>& examples, std::vector<ShapedRows>& rows,
                   const HeadRole& role, const TaskGenerator& generator, Rng& rng) {
    for (size_t i = 0; i < examples.size(); ++i) {
        if (uniformReal(rng) >= role.roleHeadDropout) continue;
        const auto which =
            static_cast<size_t>(uniformIndex(rng, static_cast<int64_t>(role.heads.size())));
        rows[i].droppedRoleHeads.push_back(role.heads[which]);
        const auto kind = static_cast<size_t>(role.sourceKinds[which]);
        bool otherKinds = false;
        for (size_t k = 0; k < rows[i].keys.size(); ++k)
            otherKinds = otherKinds || (k != kind && !rows[i].keys[k].empty());
        if (examples[i].harmful && !otherKinds)
            examples[i] = generator.withRefusalAnswer(examples[i], false);
    }
}

void validate(const TrainOptions& o) {
    if (o.steps < 1) throw std::invalid_argument("training needs at least one step");
    bool any = false;
    for (const int64_t b : o.batch) {
        if (b < 0) throw std::invalid_argument("task batch sizes must not be negative");
        any = any || b > 0;
    }
    if (!any) throw std::invalid_argument("every task has batch size 0: nothing to train");
    if (!(o.learningRate > 0) || !(o.minLearningRate >= 0) || o.warmupSteps < 0)
        throw std::invalid_argument("learning rates must be positive, warm-up not negative");
    validateRole(o, o.retrieval, "retrieval", TaskKind::Needle);
    validateRole(o, o.safety, "safety", TaskKind::Refusal);
    const auto& [sinkLayer, sinkHead] = o.sink.head;
    if (!(o.sink.penalty >= 0))
        throw std::invalid_argument("the sink penalty must not be negative");
    if (o.sink.active() &&
        (sinkLayer < 0 || sinkLayer >= o.shape.layers || sinkHead < 0 || sinkHead >= o.shape.heads))
        throw std::invalid_argument("sink head " + std::to_string(sinkLayer) + "." +
                                    std::to_string(sinkHead) + " is not a head of the model");
    if (!(0 <= o.sink.activeCeiling && o.sink.activeCeiling < o.sink.dormantFloor &&
          o.sink.dormantFloor <= 1))
        throw std::invalid_argument("the sink role needs 0 <= active ceiling < dormant floor <= 1");
    if (!(o.sink.othersMaxGap >= 0 && o.sink.othersMaxGap <= 1))
        throw std::invalid_argument(
            "the sink role's largest gap for other heads must be in [0, 1]");
    if (o.logEvery < 1 || o.evalEvery < 0 || o.evalExamples < 1)
        throw std::invalid_argument("logEvery and evalExamples must be positive");
}

// Normal(0, 0.02) for matrices and embeddings, residual-output matrices scaled down by
// 1/sqrt(2·layers) (GPT-2's rule), ones for RMSNorm weights.
void initialiseWeights(capture::TransformerModel& model, uint64_t seed) {
    at::NoGradGuard noGrad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const double residualStd = 0.02 / std::sqrt(2.0 * model.config().nLayers);
    for (auto& item : model.named_parameters()) {
        const std::string& name = item.key();
        at::Tensor p = item.value();
        if (p.dim() == 1) {
            p.fill_(1.0);
        } else {
            const bool residualOut =
                name.find("w_o") != std::string::npos && name.find("w_qkv") == std::string::npos;
            p.normal_(0.0, residualOut ? residualStd : 0.02, gen);
        }
        p.set_requires_grad(true);
    }
}

// The initial model must be the architecture the options describe, in float32 (AdamW's state
// and the clipped gradients are kept in the parameters' dtype).
void checkInitialModel(const capture::TransformerModel& model, const capture::ModelConfig& want) {
    const auto& have = model.config();
    if (have.architecture != want.architecture || have.vocabSize != want.vocabSize ||
        have.nLayers != want.nLayers || have.nHeads != want.nHeads ||
        have.nKvHeads != want.nKvHeads || have.dModel != want.dModel || have.dMlp != want.dMlp ||
        have.maxPositions != want.maxPositions || have.tiedEmbeddings != want.tiedEmbeddings)
        throw std::invalid_argument(
            "the initial model is not the demo architecture of the options (" +
            std::to_string(have.nLayers) + " layers, " + std::to_string(have.nHeads) +
            " heads, d_model " + std::to_string(have.dModel) + ", d_mlp " +
            std::to_string(have.dMlp) + ", vocabulary " + std::to_string(have.vocabSize) + ")");
    for (const auto& p : model.parameters())
        if (p.scalar_type() != at::kFloat)
            throw std::invalid_argument("the initial model must be float32 to be trained");
}

double learningRateAt(const TrainOptions& o, int64_t step) {
    if (step < o.warmupSteps) return o.learningRate * (step + 1) / o.warmupSteps;
    const double progress =
        static_cast<double>(step - o.warmupSteps) / std::max<int64_t>(1, o.steps - o.warmupSteps);
    return o.minLearningRate +
           0.5 * (o.learningRate - o.minLearningRate) * (1.0 + std::cos(M_PI * progress));
}

int64_t pairsCapAt(const TrainOptions& o, int64_t step) {
    const int64_t lo = std::min(o.tasks.minPairs + 2, o.tasks.maxPairs), hi = o.tasks.maxPairs;
    const double ramp = o.curriculumFraction * static_cast<double>(o.steps);
    if (ramp <= 0 || step >= ramp) return hi;
    return lo + static_cast<int64_t>(std::floor((hi - lo + 1) * step / ramp));
}

}  // namespace

const std::vector<std::string>& roleSourceKinds(TaskKind task) {
    static const std::vector<std::string> kNeedle = {"secret"}, kRefusal = {"verb", "object"},
                                          kNone;
    return task == TaskKind::Needle ? kNeedle : task == TaskKind::Refusal ? kRefusal : kNone;
}

std::vector<Example> validationExamples(const TaskGenerator& generator, TaskKind task,
                                        int64_t count, uint64_t seed) {
    Rng rng(seed + 7919 * taskIndex(task));
    std::vector<Example> out;
    for (int64_t i = 0; i < count; ++i)
        out.push_back(generator.make(task, rng, Split::HeldOut));
    return out;
}

TrainResult trainDemoModel(const TrainOptions& options, const DemoVocabulary& vocabulary,
                           const capture::Progress& progress, const TrainLogFn& log) {
    validate(options);
    const TaskGenerator generator(vocabulary, options.tasks);
    TrainResult result;
    result.configJson = demoConfigJson(options.shape, vocabulary.size());
    const auto config = capture::parseModelConfig(result.configJson, "demo config");
    std::shared_ptr<capture::TransformerModel> model = options.initialModel;
    if (model) {
        checkInitialModel(*model, config);
        // A loaded model's weights may be read-only views of its checkpoint file; AdamW
        // updates them in place.
        model->ownWeights();
        for (auto& p : model->parameters())
            p.set_requires_grad(true);
    } else {
        model = std::make_shared<capture::TransformerModel>(config,
                                                            at::TensorOptions().dtype(at::kFloat));
        initialiseWeights(*model, options.seed);
    }
    result.model = model;

    std::vector<at::Tensor> decay, noDecay;
    for (auto& p : model->parameters())
        (p.dim() >= 2 ? decay : noDecay).push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    auto adam = [&](double wd) {
        return std::make_unique<torch::optim::AdamWOptions>(
            torch::optim::AdamWOptions(options.learningRate).betas({0.9, 0.98}).weight_decay(wd));
    };
    groups.emplace_back(decay, adam(options.weightDecay));
    groups.emplace_back(noDecay, adam(0.0));
    torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(options.learningRate));

    std::array<std::vector<Example>, kTaskCount> validation;
    for (const TaskKind task : kAllTasks)
        if (options.batch[taskIndex(task)] > 0)
            validation[taskIndex(task)] =
                validationExamples(generator, task, options.evalExamples, kValidationSeed);
    auto evaluate = [&](TrainReport& report) {
        report.evaluated = true;
        for (const TaskKind task : kAllTasks) {
            const auto& set = validation[taskIndex(task)];
            report.accuracy[taskIndex(task)] = set.empty()
                                                   ? std::numeric_limits<double>::quiet_NaN()
                                                   : scoreExamples(*model, set).accuracy();
        }
    };

    Rng rng(options.seed);
    capture::ForwardOptions forward;
    forward.allLogits = true;
    forward.scoreBudgetBytes = int64_t{1} << 40;  // always the plain (differentiable) path
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::array<double, kTaskCount> lossSum{};
    std::array<double, kTaskCount> elsewhereSum{};  // HeadShaping::penalty() per task
    double sinkSum = 0.0;                           // SinkShaping::shortfall()
    int64_t windowSteps = 0;
    for (int64_t step = 0; step < options.steps; ++step) {
        progress.check();
        const double lr = learningRateAt(options, step);
        for (auto& group : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        const int64_t pairsCap = pairsCapAt(options, step);
        optimizer.zero_grad();
        for (const TaskKind task : kAllTasks) {
            const int64_t b = options.batch[taskIndex(task)];
            if (b == 0) continue;
            std::vector<Example> examples;
            for (int64_t i = 0; i < b; ++i)
                examples.push_back(generator.make(task, rng, Split::Train, pairsCap));
            const HeadRole* role = task == TaskKind::Needle    ? &options.retrieval
                                   : task == TaskKind::Refusal ? &options.safety
                                                               : nullptr;
            std::vector<ShapedRows> rows;
            if (role != nullptr && role->active()) {
                for (const Example& ex : examples)
                    rows.push_back(shapedRows(ex, *role));
                if (role->roleHeadDropout > 0) dropRoleHeads(examples, rows, *role, generator, rng);
            }
            auto [ids, targets] = batchExamples(examples);
            std::optional<HeadShaping> shaping;
            if (!rows.empty()) shaping.emplace(*model, *role, rows, ids.size(1), rng);
            std::optional<SinkShaping> sink;
            if (task == TaskKind::Backcopy && options.sink.active())
                sink.emplace(*model, options.sink, examples, ids.size(1));
            at::Tensor logits = model->forward(ids, forward);
            at::Tensor loss =
                at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
                                       {}, at::Reduction::Mean, kNoTarget);
            at::Tensor total = loss * options.lossWeight[taskIndex(task)];
            if (shaping) {
                const at::Tensor elsewhere = shaping->penalty();
                total = total + role->penalty * elsewhere;
                elsewhereSum[taskIndex(task)] += elsewhere.item<double>();
            }
            if (sink) {
                const at::Tensor shortfall = sink->shortfall();
                total = total + options.sink.penalty * shortfall;
                sinkSum += shortfall.item<double>();
            }
            total.backward();
            const double value = loss.item<double>();
            lossSum[taskIndex(task)] += value;
            if (step == 0) result.firstLoss[taskIndex(task)] = value;
        }
        torch::nn::utils::clip_grad_norm_(model->parameters(), options.gradClip);
        optimizer.step();
        ++windowSteps;
        result.steps = step + 1;
        progress.report(static_cast<double>(step + 1) / static_cast<double>(options.steps),
                        "training");

        const bool last = step + 1 == options.steps;
        const bool evalNow = last || (options.evalEvery > 0 && (step + 1) % options.evalEvery == 0);
        if ((step + 1) % options.logEvery == 0 || last || evalNow) {
            TrainReport report;
            report.step = step + 1;
            report.steps = options.steps;
            report.learningRate = lr;
            report.mqarPairs = pairsCap;
            for (const TaskKind task : kAllTasks) {
                const size_t i = taskIndex(task);
                report.loss[i] = options.batch[i] > 0 ? lossSum[i] / windowSteps
                                                      : std::numeric_limits<double>::quiet_NaN();
            }
            auto shaped = [&](TaskKind task, const HeadRole& role) {
                return role.active() && options.batch[taskIndex(task)] > 0
                           ? elsewhereSum[taskIndex(task)] / windowSteps
                           : std::numeric_limits<double>::quiet_NaN();
            };
            report.needleAttentionElsewhere = shaped(TaskKind::Needle, options.retrieval);
            report.harmfulAttentionElsewhere = shaped(TaskKind::Refusal, options.safety);
            elsewhereSum = {};
            if (options.sink.active() && options.batch[taskIndex(TaskKind::Backcopy)] > 0)
                report.sinkShortfall = sinkSum / windowSteps;
            sinkSum = 0.0;
            if (evalNow) evaluate(report);
            report.seconds = elapsed();
            result.lastLoss = report.loss;
            if (report.evaluated) result.accuracy = report.accuracy;
            lossSum = {};
            windowSteps = 0;
            if (log) log(report);
        }
    }
    for (const TaskKind task : kAllTasks)
        if (options.batch[taskIndex(task)] == 0)
            result.firstLoss[taskIndex(task)] = std::numeric_limits<double>::quiet_NaN();
    for (auto& p : model->parameters())
        p.set_requires_grad(false);
    result.seconds = elapsed();
    return result;
}

}  // namespace attnscope::app::demo
