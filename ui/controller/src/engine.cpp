// Opening a model and running live edits on the controller's worker thread.
#include "engine_state.h"  // LibTorch first: Qt headers after torch are safe, not before

#include <cmath>
#include <limits>

#include "attnscope/app/prompt_run.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/ui/token_text.h"
#include "intervention_builder.h"
#include "logit_lens_readout.h"

namespace attnscope::ui::detail {
namespace {

std::string patternHook(int layer) {
    return "blocks." + std::to_string(layer) + ".attn.hook_pattern";
}

void checkCancel(const std::atomic<bool>& cancel) {
    if (cancel.load()) throw Cancelled{};
}

// Live sink score: mean over queries q >= 1 of A[q, 0] per head (NaN for one-token prompts).
HeadScoresSnapshot sinkScores(const std::vector<std::vector<float>>& patterns, int heads, int t,
                              std::vector<double>* perLayer) {
    HeadScoresSnapshot s;
    s.metric = QStringLiteral("sink (live)");
    s.description = QStringLiteral("mean attention of queries q >= 1 on the first token");
    s.layers = static_cast<int>(patterns.size());
    s.heads = heads;
    perLayer->clear();
    for (const auto& layer : patterns) {
        double layerSum = 0;
        for (int h = 0; h < heads; ++h) {
            double v = std::numeric_limits<double>::quiet_NaN();
            if (t >= 2) {
                double sum = 0;
                for (int q = 1; q < t; ++q)
                    sum += layer[(static_cast<size_t>(h) * t + q) * t];
                v = sum / (t - 1);
            }
            s.values.push_back(v);
            layerSum += v;
        }
        perLayer->push_back(layerSum / heads);
    }
    return s;
}

}  // namespace

// One unedited run with every pattern, hook_z (for patching) and the logit lens captured.
CachedRun runUnedited(Engine& engine, app::PromptTokens tokens) {
    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z", kResidPostHooks};
    app::PromptRun run = app::runPrompt(engine.opened, tokens, spec, {}, 1);
    CachedRun cached;
    cached.ids = tokens.ids;
    cached.tokens = std::move(tokens);
    cached.probs = at::softmax(run.logits.to(at::kDouble), -1);
    const int layers = static_cast<int>(engine.opened.model->config().nLayers);
    for (int l = 0; l < layers; ++l) {
        cached.patterns.push_back(toVector(run.cache.get(patternHook(l))[0]));
        const std::string z = "blocks." + std::to_string(l) + ".attn.hook_z";
        cached.hookZ[z] = run.cache.get(z)[0].clone();
    }
    cached.lensLogits = lensLogits(*engine.opened.model, run.cache);
    return cached;
}

std::vector<float> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

app::PromptTokens promptTokens(const Engine& engine, const QString& prompt) {
    if (engine.opened.tokenizer) return app::encodePrompt(engine.opened, prompt.toStdString());
    const QString ids = prompt.trimmed();
    if (ids.isEmpty()) return {};
    return app::promptFromIds(engine.opened, app::parseIdList(ids.toStdString()));
}

std::shared_ptr<Engine> openEngine(const QString& dir, const Progress& progress,
                                   const std::atomic<bool>& cancel) {
    if (progress) progress(0.0, QStringLiteral("reading %1").arg(dir));
    auto engine = std::make_shared<Engine>();
    capture::LoadOptions options;
    options.cancel = &cancel;
    if (progress)
        options.progress = [&](double f) { progress(0.9 * f, QStringLiteral("reading weights")); };
    try {
        engine->opened = app::openModel(dir.toStdString(), options);
    } catch (const capture::LoadCancelled&) {
        throw Cancelled{};
    }
    if (progress) progress(0.9, QStringLiteral("model loaded"));
    const auto& model = *engine->opened.model;
    engine->info = {model.config().architecture, model.config().rawJson,
                    capture::computeDTypeName(engine->opened.dtype), model.fingerprint()};
    return engine;
}

ModelSummary summaryOf(const Engine& engine) {
    const auto& c = engine.opened.model->config();
    ModelSummary s;
    s.path = QString::fromStdString(engine.opened.dir.string());
    s.architecture = QString::fromStdString(c.architecture);
    s.layers = static_cast<int>(c.nLayers);
    s.heads = static_cast<int>(c.nHeads);
    s.kvHeads = static_cast<int>(c.nKvHeads);
    s.dModel = static_cast<int>(c.dModel);
    s.vocabSize = static_cast<int>(c.vocabSize);
    s.parameters = c.parameterCount();
    s.dtype = QString::fromStdString(engine.info.dtype);
    s.fingerprint = QString::fromStdString(engine.info.fingerprint);
    s.hasTokenizer = engine.opened.tokenizer != nullptr;
    return s;
}

RunSnapshot runEngine(Engine& engine, const RunRequest& request, const std::atomic<bool>& cancel) {
    checkCancel(cancel);
    app::PromptTokens tokens = promptTokens(engine, request.prompt);
    if (tokens.ids.empty()) throw capture::InputError("the prompt is empty");
    if (engine.baseline.ids != tokens.ids || engine.baseline.patterns.empty())
        engine.baseline = runUnedited(engine, tokens);
    checkCancel(cancel);
    const bool hasCorrupted = !request.corruptedPrompt.trimmed().isEmpty();
    if (!hasCorrupted) {
        engine.corrupted = {};
    } else {
        app::PromptTokens c = promptTokens(engine, request.corruptedPrompt);
        if (engine.corrupted.ids != c.ids || engine.corrupted.patterns.empty())
            engine.corrupted = runUnedited(engine, std::move(c));
    }
    checkCancel(cancel);

    const auto interventions = buildInterventions(engine, request.interventions);
    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern", kResidPostHooks};
    app::PromptRun edited =
        app::runPrompt(engine.opened, tokens, spec, interventions, request.topK);
    checkCancel(cancel);

    const auto& config = engine.opened.model->config();
    RunSnapshot s;
    s.prompt = request.prompt;
    s.corruptedPrompt = request.corruptedPrompt;
    s.interventions = request.interventions;
    s.layers = static_cast<int>(config.nLayers);
    s.heads = static_cast<int>(config.nHeads);
    s.length = static_cast<int>(tokens.ids.size());
    for (size_t i = 0; i < tokens.ids.size(); ++i) {
        TokensSnapshot::Token t;
        t.id = tokens.ids[i];
        t.text = QString::fromStdString(tokens.tokens[i]);
        t.charBegin = static_cast<int>(tokens.offsets[i][0]);
        t.charEnd = static_cast<int>(tokens.offsets[i][1]);
        s.tokens.tokens.push_back(t);
        s.tokenLabels << displayToken(t.text);
    }
    const double* baseProbs = engine.baseline.probs.data_ptr<double>();
    for (const app::TopToken& top : edited.top)
        s.predictions.rows.push_back(
            {top.id, QString::fromStdString(top.text), top.prob, baseProbs[top.id]});
    for (int l = 0; l < s.layers; ++l)
        s.patterns.push_back(toVector(edited.cache.get(patternHook(l))[0]));
    s.baselinePatterns = engine.baseline.patterns;
    if (hasCorrupted && engine.corrupted.ids.size() == tokens.ids.size())
        s.corruptedPatterns = engine.corrupted.patterns;
    s.sinkScores = sinkScores(s.patterns, s.heads, s.length, &s.sinkMassPerLayer);
    s.baselineSinkScores =
        sinkScores(s.baselinePatterns, s.heads, s.length, &s.baselineSinkMassPerLayer);
    s.baselineSinkScores.metric = QStringLiteral("sink (live, baseline)");
    // The logit lens follows the edited run's top prediction, in both runs.
    const int64_t top =
        edited.top.empty() ? edited.logits.argmax().item<int64_t>() : edited.top.front().id;
    s.logitLens.token =
        edited.top.empty() ? QString::number(top) : QString::fromStdString(edited.top.front().text);
    s.logitLens.prob = lensProbs(lensLogits(*engine.opened.model, edited.cache), top);
    s.logitLens.baselineProb = lensProbs(engine.baseline.lensLogits, top);
    return s;
}

}  // namespace attnscope::ui::detail
