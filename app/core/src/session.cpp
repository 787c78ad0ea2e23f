// Opening a model and running prompts under an edit list next to their unedited baseline.
#include "attnscope/app/session.h"

#include <cmath>
#include <limits>
#include <set>

#include "attnscope/analysis/sink_metrics.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/logit_lens.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {
namespace {

std::string patternHook(int layer) {
    return "blocks." + std::to_string(layer) + ".attn.hook_pattern";
}

std::vector<float> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

SharedPatterns patternsOf(const capture::ActivationCache& cache, int layers) {
    auto out = std::make_shared<LayerPatterns>();
    for (int l = 0; l < layers; ++l)
        out->push_back(toVector(cache.get(patternHook(l))[0]));
    return out;
}

// Live sink score: analysis' sink mass with a start window of one token (the mean over
// queries q >= 1 of A[q, 0]); NaN where it is undefined (one-token prompts) or the map is not
// a causal prefill.
HeadScores sinkScores(const LayerPatterns& patterns, int heads, int t, const std::string& metric,
                      std::vector<double>* perLayer) {
    HeadScores s;
    s.metric = metric;
    s.description = "sink mass (start window 1): mean attention of queries q >= 1 on token 0";
    s.layers = static_cast<int>(patterns.size());
    s.heads = heads;
    perLayer->clear();
    const size_t cells = static_cast<size_t>(t) * t;
    for (const auto& layer : patterns) {
        double layerSum = 0;
        for (int h = 0; h < heads; ++h) {
            double v = std::numeric_limits<double>::quiet_NaN();
            if (t >= 2) {
                const analysis::AttentionMap map = Eigen::Map<
                    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                    layer.data() + h * cells, t, t);
                try {
                    v = analysis::sinkMass(map, 1);
                } catch (const std::invalid_argument&) {
                    // an edit left rows that are not a distribution: not scored
                }
            }
            s.values.push_back(v);
            layerSum += v;
        }
        perLayer->push_back(layerSum / heads);
    }
    return s;
}

std::vector<TokenInfo> tokenInfos(const PromptTokens& p) {
    std::vector<TokenInfo> out;
    for (size_t i = 0; i < p.ids.size(); ++i)
        out.push_back({p.ids[i], p.tokens[i], p.offsets[i][0], p.offsets[i][1]});
    return out;
}

}  // namespace

std::string tokenDisplay(const OpenedModel& opened, int64_t token) {
    if (opened.tokenizer && token >= 0 && token < opened.tokenizer->vocabSize()) {
        try {
            return opened.tokenizer->displayString(token);
        } catch (const std::exception&) {
            // an embedding row without a string keeps its id
        }
    }
    return std::to_string(token);
}

std::vector<at::Tensor> lensLogits(capture::TransformerModel& model,
                                   const capture::ActivationCache& cache) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> out;
    for (int64_t l = 0; l < model.config().nLayers; ++l) {
        const at::Tensor resid =
            cache.get("blocks." + std::to_string(l) + ".hook_resid_post");  // [1, pos, d_model]
        // [1, 1, d_model], the slice forward() takes before its final norm; the same shape and
        // the same ops keep the last layer bit-identical to the run's own logits.
        const at::Tensor last = resid.narrow(1, resid.size(1) - 1, 1);
        out.push_back(capture::logitsFromResidual(model, last).select(1, -1)[0].to(at::kCPU));
    }
    return out;
}

std::vector<double> lensProbs(const std::vector<at::Tensor>& logits, int64_t token) {
    std::vector<double> out;
    for (const at::Tensor& l : logits)
        out.push_back(at::softmax(l.to(at::kDouble), -1)[token].item<double>());
    return out;
}

CachedRun runUnedited(OpenedModel& opened, PromptTokens tokens) {
    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z", kResidPostHooks};
    PromptRun run = runPrompt(opened, tokens, spec, {}, 1);
    CachedRun cached;
    cached.tokens = std::move(tokens);
    cached.probs = at::softmax(run.logits.to(at::kDouble), -1);
    const int layers = static_cast<int>(opened.model->config().nLayers);
    cached.patterns = patternsOf(run.cache, layers);
    for (int l = 0; l < layers; ++l) {
        const std::string z = "blocks." + std::to_string(l) + ".attn.hook_z";
        cached.hookZ[z] = run.cache.get(z)[0].clone();
    }
    cached.lensLogits = lensLogits(*opened.model, run.cache);
    return cached;
}

PromptTokens Session::Impl::tokensOf(const std::string& prompt, bool ids) const {
    if (opened.tokenizer && !ids) return encodePrompt(opened, prompt);
    const auto first = prompt.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = prompt.find_last_not_of(" \t\r\n");
    return promptFromIds(opened, parseIdList(prompt.substr(first, last - first + 1)));
}

const CachedRun& Session::Impl::unedited(CachedRun& slot, const PromptTokens& tokens) {
    if (!slot.holds(tokens.ids)) slot = runUnedited(opened, tokens);
    return slot;
}

Session::Session(const std::filesystem::path& modelDir, const capture::Progress& progress,
                 capture::LoadOptions options)
    : m_impl(std::make_unique<Impl>()) {
    progress.report(0.0, "reading " + modelDir.string());
    options.progress = progress.part(0.0, 0.9);
    m_impl->opened = openModel(modelDir, options);
    progress.report(0.9, "model loaded");
    const auto& model = *m_impl->opened.model;
    const auto& c = model.config();
    m_impl->info = {c.architecture, c.rawJson, capture::computeDTypeName(m_impl->opened.dtype),
                    model.fingerprint()};
    ModelSummary& s = m_impl->summary;
    s.path = modelDir.string();
    s.architecture = c.architecture;
    s.layers = static_cast<int>(c.nLayers);
    s.heads = static_cast<int>(c.nHeads);
    s.kvHeads = static_cast<int>(c.nKvHeads);
    s.dModel = static_cast<int>(c.dModel);
    s.vocabSize = static_cast<int>(c.vocabSize);
    s.parameters = c.parameterCount();
    s.dtype = m_impl->info.dtype;
    s.fingerprint = m_impl->info.fingerprint;
    s.hasTokenizer = m_impl->opened.tokenizer != nullptr;
}

Session::~Session() = default;

const ModelSummary& Session::model() const {
    return m_impl->summary;
}

void Session::setSplitSpecialTokens(bool split) {
    Impl& d = *m_impl;
    if (!d.opened.tokenizer || d.opened.tokenizer->splitSpecialTokens() == split) return;
    // A tokenizer of its own: a shared one is immutable once handed out.
    auto tokenizer = capture::Tokenizer::fromModelFolder(d.opened.dir);
    tokenizer->setSplitSpecialTokens(split);
    d.opened.tokenizer = std::move(tokenizer);
    d.baseline = {};
    d.corrupted = {};
}

std::shared_ptr<const RunResult> Session::lastRun() const {
    return m_impl->last;
}

std::shared_ptr<const RunResult> Session::run(const RunRequest& request,
                                              const capture::Progress& progress) {
    Impl& d = *m_impl;
    const ModelSummary& m = d.summary;
    progress.check();
    setSplitSpecialTokens(request.splitSpecialTokens);
    const PromptTokens tokens = d.tokensOf(request.prompt, request.promptsAreIds);
    if (tokens.ids.empty()) throw capture::InputError("the prompt is empty");
    const CachedRun& baseline = d.unedited(d.baseline, tokens);
    progress.check();
    const PromptTokens corruptedTokens =
        request.corruptedPrompt.find_first_not_of(" \t\r\n") == std::string::npos
            ? PromptTokens{}
            : d.tokensOf(request.corruptedPrompt, request.promptsAreIds);
    if (corruptedTokens.ids.empty())
        d.corrupted = {};
    else
        d.unedited(d.corrupted, corruptedTokens);
    progress.check();

    const auto interventions = toInterventions(request.edits, m.layers, m.heads, tokens.ids.size(),
                                               d.corrupted.patterns ? &d.corrupted.hookZ : nullptr,
                                               d.corrupted.tokens.ids.size());
    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern", kResidPostHooks};
    PromptRun edited = runPrompt(d.opened, tokens, spec, interventions, request.topK);
    progress.check();

    auto r = std::make_shared<RunResult>();
    r->request = request;
    r->tokens = tokenInfos(tokens);
    r->corruptedTokens = tokenInfos(d.corrupted.tokens);
    r->layers = m.layers;
    r->heads = m.heads;
    r->length = static_cast<int>(tokens.ids.size());
    const at::Tensor editedProbs = at::softmax(edited.logits.to(at::kDouble), -1);
    const double* now = editedProbs.data_ptr<double>();
    const double* before = baseline.probs.data_ptr<double>();
    std::set<int64_t> listed;
    for (const TopToken& top : edited.top) {
        r->predictions.push_back({top.id, top.text, top.prob, before[top.id]});
        listed.insert(top.id);
    }
    // The baseline's top tokens stay listed when the edit pushed them out of the top k.
    const int64_t k = std::min<int64_t>(request.topK, baseline.probs.size(0));
    const at::Tensor baseTop = std::get<1>(baseline.probs.topk(k)).contiguous();
    for (int64_t i = 0; i < k; ++i) {
        const int64_t id = baseTop[i].item<int64_t>();
        if (listed.insert(id).second)
            r->predictions.push_back({id, tokenDisplay(d.opened, id), now[id], before[id]});
    }
    r->patterns = patternsOf(edited.cache, m.layers);
    r->baselinePatterns = baseline.patterns;
    if (d.corrupted.patterns && d.corrupted.tokens.ids.size() == tokens.ids.size())
        r->corruptedPatterns = d.corrupted.patterns;
    r->sinkScores =
        sinkScores(*r->patterns, m.heads, r->length, "sink (live)", &r->sinkMassPerLayer);
    r->baselineSinkScores = sinkScores(*r->baselinePatterns, m.heads, r->length,
                                       "sink (live, baseline)", &r->baselineSinkMassPerLayer);
    // The logit lens follows the edited run's top prediction, in both runs.
    const int64_t top =
        edited.top.empty() ? edited.logits.argmax().item<int64_t>() : edited.top.front().id;
    r->lens.tokenId = top;
    r->lens.token = edited.top.empty() ? std::to_string(top) : edited.top.front().text;
    r->lens.prob = lensProbs(lensLogits(*d.opened.model, edited.cache), top);
    r->lens.baselineProb = lensProbs(baseline.lensLogits, top);
    d.last = r;
    return r;
}

std::vector<float> headMap(const LayerPatterns& patterns, int heads, int length, int layer,
                           int head) {
    const int layers = static_cast<int>(patterns.size());
    if (length <= 0 || heads <= 0 || layer >= layers || head >= heads) return {};
    if (layer < 0 && head >= 0) return {};
    const size_t cells = static_cast<size_t>(length) * length;
    if (layer >= 0 && head >= 0) {
        const float* src = patterns[layer].data() + static_cast<size_t>(head) * cells;
        return {src, src + cells};
    }
    // The mean of maps (each row still sums to 1).
    std::vector<double> sum(cells, 0.0);
    int count = 0;
    for (int l = 0; l < layers; ++l) {
        if (layer >= 0 && l != layer) continue;
        for (int h = 0; h < heads; ++h, ++count)
            for (size_t i = 0; i < cells; ++i)
                sum[i] += patterns[l][h * cells + i];
    }
    std::vector<float> out(cells);
    for (size_t i = 0; i < cells; ++i)
        out[i] = static_cast<float>(sum[i] / count);
    return out;
}

}  // namespace attnscope::app
