// `attnscope-cli train-demo` trains the demo model and writes it as a Hugging Face folder;
// `attnscope-cli eval-demo` scores a demo model folder on its held-out evaluation prompts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "attnscope/app/demo/demo_evaluation.h"
#include "attnscope/app/demo/demo_model_writer.h"
#include "attnscope/app/demo/demo_recipe.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"
#include "cli_args.h"
#include "commands.h"
#include "terminal_progress.h"

namespace attnscope::app {
namespace {

std::string clock(double seconds) {
    const auto s = static_cast<int64_t>(std::lround(seconds));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
    return buf;
}

std::string percent(double x) {
    if (std::isnan(x)) return "-";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * x);
    return buf;
}

// The ETA comes from the fraction of the whole job's estimated work (capture::Progress), so it
// holds across recipe phases whose steps cost differently.
class TrainLog {
public:
    explicit TrainLog(std::ostream& out) : m_out(out) {}

    capture::Progress progress() {
        return capture::Progress(
            [this](double fraction, const std::string&) { m_fraction = fraction; },
            &interruptFlag());
    }
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }
    void print(const demo::TrainReport& p) const;

private:
    std::ostream& m_out;
    double m_fraction = 0.0;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

void TrainLog::print(const demo::TrainReport& p) const {
    const double elapsed = seconds();
    const double eta = m_fraction > 0 ? elapsed * (1.0 - m_fraction) / m_fraction : 0.0;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "step %5lld/%lld  lr %.1e  pairs %2lld  %s elapsed, %3.0f%% done, ETA %s  loss",
                  static_cast<long long>(p.step), static_cast<long long>(p.steps), p.learningRate,
                  static_cast<long long>(p.mqarPairs), clock(elapsed).c_str(), 100.0 * m_fraction,
                  clock(eta).c_str());
    m_out << buf;
    for (const auto task : demo::kAllTasks) {
        const double loss = p.loss[demo::taskIndex(task)];
        if (std::isnan(loss)) continue;
        std::snprintf(buf, sizeof buf, " %s %.3f", demo::taskName(task), loss);
        m_out << buf;
    }
    if (!std::isnan(p.needleAttentionElsewhere))
        m_out << "  needle attention of other heads " << percent(p.needleAttentionElsewhere);
    if (!std::isnan(p.harmfulAttentionElsewhere))
        m_out << "  harmful-word attention of other heads " << percent(p.harmfulAttentionElsewhere);
    if (!std::isnan(p.sinkShortfall)) m_out << "  sink-head hinge " << p.sinkShortfall;
    m_out << "\n";
    if (p.evaluated) {
        m_out << "      validation accuracy:";
        for (const auto task : demo::kAllTasks)
            m_out << " " << demo::taskName(task) << " "
                  << percent(p.accuracy[demo::taskIndex(task)]);
        m_out << "\n";
    }
    m_out.flush();
}

double realValue(const CliArgs& args, const std::string& name, double fallback, double lo,
                 double hi) {
    const auto text = args.value(name);
    if (!text) return fallback;
    size_t used = 0;
    double x = 0.0;
    try {
        x = std::stod(*text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text->size() || !(x >= lo && x <= hi)) {
        std::ostringstream range;  // %g-style, so that 1e-08 does not print as 0.000000
        range << "[" << lo << ", " << hi << "]";
        throw UsageError(name + " must be a number in " + range.str() + ", not '" + *text + "'");
    }
    return x;
}

// "--batch mqar=24,backcopy=32": sequences per step of the tasks named; the others keep theirs.
void parseBatch(const std::string& text, std::array<int64_t, demo::kTaskCount>& batch) {
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        const size_t eq = item.find('=');
        const auto task = demo::taskFromName(item.substr(0, eq));
        size_t used = 0;
        long long n = -1;
        if (eq != std::string::npos) {
            try {
                n = std::stoll(item.substr(eq + 1), &used);
            } catch (const std::exception&) {
                used = 0;
            }
        }
        if (!task || used == 0 || eq + 1 + used != item.size() || n < 0 || n > 4096)
            throw UsageError(
                "--batch takes TASK=N items (tasks mqar, needle, backcopy, refusal; "
                "N in [0, 4096]), not '" +
                item + "'");
        batch[demo::taskIndex(*task)] = n;
    }
}

// "--retrieval-heads 2.0,2.1": the (layer.head) heads a task is to rest on.
std::vector<std::pair<int64_t, int64_t>> parseHeads(const std::string& text,
                                                    const std::string& option) {
    std::vector<std::pair<int64_t, int64_t>> heads;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        long long layer = -1, head = -1;
        char dot = 0, extra = 0;
        if (std::sscanf(item.c_str(), "%lld%c%lld%c", &layer, &dot, &head, &extra) != 3 ||
            dot != '.' || layer < 0 || head < 0)
            throw UsageError(option + " takes LAYER.HEAD items such as 2.0,2.1, not '" + item +
                             "'");
        heads.emplace_back(layer, head);
    }
    return heads;
}

// "--safety-heads 0.1:verb,0.6:object": the role's heads, each optionally with the one kind of
// source token it alone reads (demo::roleSourceKinds); either every head names a kind or none.
void parseRoleHeads(const std::string& text, const std::string& option, demo::TaskKind task,
                    demo::HeadRole& role) {
    const std::vector<std::string>& kinds = demo::roleSourceKinds(task);
    std::string names;
    for (const auto& k : kinds)
        names += (names.empty() ? "" : ", ") + k;
    std::istringstream in(text);
    std::string headList;
    for (std::string item; std::getline(in, item, ',');) {
        const size_t colon = item.find(':');
        headList += (headList.empty() ? "" : ",") + item.substr(0, colon);
        if (colon == std::string::npos) continue;
        const std::string kind = item.substr(colon + 1);
        const auto found = std::find(kinds.begin(), kinds.end(), kind);
        if (found == kinds.end())
            throw UsageError(option + ": '" + kind + "' in '" + item +
                             "' is not a source kind of the " + demo::taskName(task) + " task (" +
                             names + ")");
        role.sourceKinds.push_back(found - kinds.begin());
    }
    role.heads = parseHeads(headList, option);
    if (!role.sourceKinds.empty() && role.sourceKinds.size() != role.heads.size())
        throw UsageError(option + " names a source kind (LAYER.HEAD:KIND, kinds " + names +
                         ") for some heads but not all: '" + text + "'");
}

// --NAME-heads, --NAME-penalty, --NAME-dropout.
demo::HeadRole headRole(const CliArgs& args, const std::string& name, demo::TaskKind task) {
    demo::HeadRole role;
    const std::string heads = "--" + name + "-heads";
    if (const auto text = args.value(heads)) parseRoleHeads(*text, heads, task, role);
    role.penalty = realValue(args, "--" + name + "-penalty", 0.0, 0.0, 1e6);
    role.dropout = args.integer("--" + name + "-dropout", 0, 0, 1 << 20);
    role.roleHeadDropout = realValue(args, "--" + name + "-role-dropout", 0.0, 0.0, 1.0);
    const std::string rows = "--" + name + "-dropout-rows";
    const std::string where = args.value(rows).value_or("decision");
    if (where != "decision" && where != "prompt")
        throw UsageError(rows + " takes decision or prompt, not '" + where + "'");
    role.wholePrompt = where == "prompt";
    if (role.active() && role.heads.empty())
        throw UsageError("--" + name + "-penalty and --" + name + "-dropout need " + heads);
    return role;
}

// Options that describe one training run; giving any of them trains that run instead of the
// recipe.
const std::vector<std::string> kSingleRunOptions = {"--seed",
                                                    "--steps",
                                                    "--layers",
                                                    "--heads",
                                                    "--d-model",
                                                    "--d-mlp",
                                                    "--max-pairs",
                                                    "--init",
                                                    "--batch",
                                                    "--lr",
                                                    "--min-lr",
                                                    "--warmup",
                                                    "--weight-decay",
                                                    "--curriculum",
                                                    "--retrieval-heads",
                                                    "--retrieval-penalty",
                                                    "--retrieval-dropout",
                                                    "--retrieval-dropout-rows",
                                                    "--safety-heads",
                                                    "--safety-penalty",
                                                    "--safety-dropout",
                                                    "--safety-dropout-rows",
                                                    "--safety-role-dropout",
                                                    "--sink-head",
                                                    "--sink-penalty",
                                                    "--sink-others-gap"};

demo::TrainOptions singleRunOptions(const CliArgs& args) {
    demo::TrainOptions options;
    if (const auto init = args.value("--init")) {
        // Fine-tuning: the architecture is the initial model's.
        if (args.has("--layers") || args.has("--heads") || args.has("--d-model") ||
            args.has("--d-mlp"))
            throw UsageError(
                "--init takes the architecture from the model; leave out --layers, "
                "--heads, --d-model and --d-mlp");
        capture::LoadOptions load;
        load.writableWeights = true;  // trained in place
        options.initialModel = capture::loadModel(*init, load);
        const auto& c = options.initialModel->config();
        options.shape.layers = c.nLayers;
        options.shape.heads = c.nHeads;
        options.shape.dModel = c.dModel;
        options.shape.dMlp = c.dMlp;
        options.shape.context = c.maxPositions;
        options.shape.ropeTheta = c.ropeTheta;
        options.shape.normEps = c.normEps;
        // The model has already learned every MQAR size: no curriculum unless asked for.
        options.curriculumFraction = 0.0;
    }
    options.seed = static_cast<uint64_t>(args.integer("--seed", 1, 0, int64_t{1} << 62));
    options.steps = args.integer("--steps", options.steps, 1, 10000000);
    options.shape.layers = args.integer("--layers", options.shape.layers, 1, 64);
    options.shape.heads = args.integer("--heads", options.shape.heads, 1, 64);
    options.shape.dModel = args.integer("--d-model", options.shape.dModel, 2, 4096);
    options.shape.dMlp = args.integer("--d-mlp", options.shape.dMlp, 1, 16384);
    options.tasks.maxPairs = args.integer("--max-pairs", options.tasks.maxPairs, 2, 48);
    if (const auto batch = args.value("--batch")) parseBatch(*batch, options.batch);
    options.learningRate = realValue(args, "--lr", options.learningRate, 1e-8, 1.0);
    options.minLearningRate =
        realValue(args, "--min-lr", std::min(options.minLearningRate, options.learningRate), 0.0,
                  options.learningRate);
    options.warmupSteps = args.integer("--warmup", options.warmupSteps, 0, 10000000);
    options.weightDecay = realValue(args, "--weight-decay", options.weightDecay, 0.0, 10.0);
    options.curriculumFraction =
        realValue(args, "--curriculum", options.curriculumFraction, 0.0, 1.0);
    options.retrieval = headRole(args, "retrieval", demo::TaskKind::Needle);
    options.safety = headRole(args, "safety", demo::TaskKind::Refusal);
    if (const auto head = args.value("--sink-head")) {
        const auto heads = parseHeads(*head, "--sink-head");
        if (heads.size() != 1)
            throw UsageError("--sink-head takes one LAYER.HEAD, not '" + *head + "'");
        options.sink.head = heads.front();
    }
    options.sink.penalty = realValue(args, "--sink-penalty", 0.0, 0.0, 1e6);
    options.sink.othersMaxGap = realValue(args, "--sink-others-gap", 1.0, 0.0, 1.0);
    if (options.sink.active() && !args.has("--sink-head"))
        throw UsageError("--sink-penalty needs --sink-head");
    if (options.shape.dModel % options.shape.heads != 0 ||
        (options.shape.dModel / options.shape.heads) % 2 != 0)
        throw UsageError("--d-model must split into --heads heads of even size");
    return options;
}

nlohmann::ordered_json perTask(const std::array<double, demo::kTaskCount>& values) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto task : demo::kAllTasks)
        j[demo::taskName(task)] = values[demo::taskIndex(task)];
    return j;
}

nlohmann::ordered_json roleJson(const demo::HeadRole& role, demo::TaskKind task) {
    nlohmann::ordered_json heads = nlohmann::ordered_json::array();
    for (size_t i = 0; i < role.heads.size(); ++i) {
        const auto& [layer, head] = role.heads[i];
        heads.push_back(
            std::to_string(layer) + "." + std::to_string(head) +
            (role.sourceKinds.empty()
                 ? ""
                 : ":" + demo::roleSourceKinds(task).at(static_cast<size_t>(role.sourceKinds[i]))));
    }
    nlohmann::ordered_json j = {{"heads", heads},
                                {"penalty", role.penalty},
                                {"dropout", role.dropout},
                                {"dropout_rows", role.wholePrompt ? "prompt" : "decision"}};
    if (role.roleHeadDropout > 0) j["role_dropout"] = role.roleHeadDropout;
    return j;
}

// A phase's schedule and outcome as training.json records it.
nlohmann::ordered_json phaseJson(const demo::TrainPhase& phase, const demo::TrainResult& r) {
    const demo::TrainOptions& o = phase.options;
    nlohmann::ordered_json batch = nlohmann::ordered_json::object();
    for (const auto task : demo::kAllTasks)
        batch[demo::taskName(task)] = o.batch[demo::taskIndex(task)];
    nlohmann::ordered_json j = {{"name", phase.name},
                                {"purpose", phase.purpose},
                                {"seed", o.seed},
                                {"steps", r.steps},
                                {"batch", batch},
                                {"lr", o.learningRate},
                                {"min_lr", o.minLearningRate},
                                {"warmup", o.warmupSteps},
                                {"weight_decay", o.weightDecay},
                                {"curriculum", o.curriculumFraction}};
    if (o.retrieval.active()) j["retrieval"] = roleJson(o.retrieval, demo::TaskKind::Needle);
    if (o.safety.active()) j["safety"] = roleJson(o.safety, demo::TaskKind::Refusal);
    if (o.sink.active())
        j["sink"] = {
            {"head", std::to_string(o.sink.head.first) + "." + std::to_string(o.sink.head.second)},
            {"penalty", o.sink.penalty},
            {"dormant_floor", o.sink.dormantFloor},
            {"active_ceiling", o.sink.activeCeiling},
            {"others_max_gap", o.sink.othersMaxGap}};
    j["seconds"] = std::round(r.seconds);
    j["final_loss"] = perTask(r.lastLoss);
    j["validation_accuracy"] = perTask(r.accuracy);
    return j;
}

}  // namespace

int runTrainDemoCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                        std::ostream& err) {
    std::set<std::string> valued(kSingleRunOptions.begin(), kSingleRunOptions.end());
    valued.insert({"--out", "--threads", "--dtype", "--eval-count", "--eval-every", "--log-every",
                   "--from-phase"});
    const CliArgs args(argv, valued, {"--keep-phases"});
    const std::string outDir = args.required("--out");
    const auto fromPhase = args.value("--from-phase");
    bool single = false;
    for (const auto& option : kSingleRunOptions)
        single = single || (args.has(option) && !(fromPhase && option == "--init"));
    std::vector<demo::TrainPhase> phases;
    size_t firstPhase = 0;  // the recipe's number of phases[0], less one
    if (single) {
        if (fromPhase)
            throw UsageError(
                "--from-phase reruns the recipe's phases: it takes --init DIR and "
                "no other training option");
        phases.push_back({"single", "one run with the options given", singleRunOptions(args)});
    } else {
        phases = demo::demoRecipe();
    }
    if (fromPhase) {
        // The recipe from one phase on, from the weights the phase before it ended with (for
        // example DIR/phases/NN-NAME as --keep-phases writes them).
        std::string names;
        for (const auto& p : phases)
            names += (names.empty() ? "" : ", ") + p.name;
        const auto found = std::find_if(phases.begin(), phases.end(),
                                        [&](const auto& p) { return p.name == *fromPhase; });
        if (found == phases.end())
            throw UsageError("--from-phase: the recipe has no phase '" + *fromPhase + "' (" +
                             names + ")");
        const auto init = args.value("--init");
        if (!init && found != phases.begin())
            throw UsageError("--from-phase " + *fromPhase +
                             " needs --init DIR: the weights the phase before it ended with");
        firstPhase = static_cast<size_t>(found - phases.begin());
        phases.erase(phases.begin(), found);
        if (init) {
            capture::LoadOptions load;
            load.writableWeights = true;  // trained in place
            phases.front().options.initialModel = capture::loadModel(*init, load);
        }
    }
    for (auto& phase : phases) {
        phase.options.evalEvery =
            args.integer("--eval-every", phase.options.evalEvery, 0, 10000000);
        phase.options.logEvery = args.integer("--log-every", phase.options.logEvery, 1, 10000000);
    }
    const int64_t evalCount = args.integer("--eval-count", 200, 1, 100000);
    const std::string dtypeName = args.value("--dtype").value_or("float32");
    if (dtypeName != "float32" && dtypeName != "bfloat16")
        throw UsageError("--dtype must be float32 or bfloat16, not '" + dtypeName + "'");
    const int threads =
        capture::configureRuntime(static_cast<int>(args.integer("--threads", 0, 0, 1024)));

    const demo::DemoVocabulary vocabulary;
    const demo::TrainOptions& first = phases.front().options;
    int64_t totalSteps = 0;
    for (const auto& phase : phases)
        totalSteps += phase.options.steps;
    out << (first.initialModel ? "fine-tuning the demo model " + *args.value("--init") + ": "
            : single           ? std::string("training the demo model: ")
                     : "training the demo model by its recipe (" + std::to_string(phases.size()) +
                           " phases): ")
        << first.shape.layers << " layers, " << first.shape.heads << " heads, d_model "
        << first.shape.dModel << ", d_mlp " << first.shape.dMlp << ", vocabulary "
        << vocabulary.size() << " words, " << totalSteps << " steps, " << threads << " threads\n";
    TrainLog log(out);
    const demo::TaskGenerator generator(vocabulary, first.tasks);
    const auto dtype = dtypeName == "bfloat16" ? capture::DType::BF16 : capture::DType::F32;
    // --keep-phases: each phase's weights as a model folder of its own, so that a later phase
    // can be rerun from them (train-demo --init DIR and that phase's options).
    demo::PhaseEndFn keepPhase;
    if (args.flag("--keep-phases") && phases.size() > 1)
        keepPhase = [&](size_t i, const demo::TrainResult& r) {
            char name[16];
            std::snprintf(name, sizeof name, "%02zu-", firstPhase + i + 1);
            const auto dir = std::filesystem::path(outDir) / "phases" / (name + phases[i].name);
            demo::writeDemoFolder(dir.string(), *r.model, r.configJson, generator, evalCount,
                                  dtype);
            out << "wrote phase " << firstPhase + i + 1 << " to " << dir.string() << "\n";
        };
    demo::RecipeResult result;
    try {
        result = demo::trainDemoRecipe(
            phases, vocabulary, log.progress(), [&](const demo::TrainReport& r) { log.print(r); },
            [&](size_t i) {
                if (phases.size() == 1) return;
                const demo::TrainOptions& o = phases[i].options;
                out << "phase " << i + 1 << "/" << phases.size() << " " << phases[i].name << ": "
                    << phases[i].purpose << " (" << o.steps << " steps, seed " << o.seed << ")\n";
            },
            keepPhase);
    } catch (const capture::Cancelled&) {
        err << "interrupted after " << clock(log.seconds()) << " of training; nothing written\n";
        return 130;
    }

    auto& model = *result.final.model;
    demo::writeDemoFolder(outDir, model, result.final.configJson, generator, evalCount, dtype);
    nlohmann::ordered_json summary = {{"command", "attnscope-cli train-demo"},
                                      {"arguments", argv},
                                      {"threads", threads},
                                      {"steps", totalSteps},
                                      {"seconds", std::round(result.seconds)},
                                      {"phases", nlohmann::ordered_json::array()},
                                      {"final_loss", perTask(result.final.lastLoss)},
                                      {"validation_accuracy", perTask(result.final.accuracy)}};
    for (size_t i = 0; i < phases.size(); ++i)
        summary["phases"].push_back(phaseJson(phases[i], result.phases[i]));
    std::ofstream(std::filesystem::path(outDir) / "training.json") << summary.dump(2) << "\n";
    out << "wrote " << outDir << " (" << clock(result.seconds) << " of training)\n";
    return 0;
}

int runEvalDemoCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                       std::ostream&) {
    const CliArgs args(argv, {"--model", "--count", "--threads"}, {"--json", "--write-prompts"});
    const std::string dir = args.required("--model");
    const int64_t count = args.integer("--count", 200, 1, 100000);
    capture::configureRuntime(static_cast<int>(args.integer("--threads", 0, 0, 1024)));
    auto model = capture::loadModel(dir);
    const demo::DemoVocabulary vocabulary;
    if (model->config().vocabSize != vocabulary.size())
        throw std::runtime_error(dir + " is not a demo model: its vocabulary has " +
                                 std::to_string(model->config().vocabSize) + " words, not " +
                                 std::to_string(vocabulary.size()));
    const demo::TaskGenerator generator(vocabulary);
    if (args.flag("--write-prompts")) demo::writeEvaluationPrompts(dir, generator, count);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto task : demo::kAllTasks) {
        const auto examples = demo::evaluationExamples(generator, task, count);
        const auto score = demo::scoreExamples(*model, examples);
        j[demo::taskName(task)] = {
            {"units", score.units}, {"correct", score.correct}, {"accuracy", score.accuracy()}};
        if (!args.flag("--json"))
            out << demo::taskName(task)
                << std::string(10 - std::string(demo::taskName(task)).size(), ' ')
                << percent(score.accuracy()) << "  (" << score.correct << "/" << score.units
                << ")\n";
    }
    if (args.flag("--json")) out << j.dump(2) << "\n";
    return 0;
}

}  // namespace attnscope::app
