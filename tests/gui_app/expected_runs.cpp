#include "expected_runs.h"

#include <ATen/ATen.h>

#include <QFile>

#include <Eigen/Core>

#include "attnscope/analysis/act_calibration.h"
#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/app/prompt_run.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/ui/intervention_kinds.h"
#include "fixture_paths.h"

namespace attnscope::test {

TestModel testModel() {
    const auto demo = sourceDir() / "resources" / "models" / "demo";
    if (std::filesystem::exists(demo / "config.json")) {
        QString prompt =
            QStringLiteral("alice apple bob river carol stone . carol stone alice apple bob");
        QFile f(QString::fromStdString((demo / "demo_prompt.txt").string()));
        if (f.open(QIODevice::ReadOnly)) {
            const QString line = QString::fromUtf8(f.readLine()).trimmed();
            if (!line.isEmpty()) prompt = line;
        }
        return {demo, prompt,
                QStringLiteral("alice apple bob stone carol river . carol stone alice apple bob")};
    }
    return {fixturesDir() / "parity" / "llama-tiny-gqa",
            QStringLiteral("1,17,33,49,65,81,97,113,17,33"),
            QStringLiteral("1,18,34,50,66,82,98,114,18,34")};
}

std::vector<float> ExpectedRun::map(int layer, int head) const {
    const size_t cells = static_cast<size_t>(length) * length;
    const float* p = patterns[layer].data() + head * cells;
    return {p, p + cells};
}

struct ExpectedRunner::Impl {
    app::OpenedModel opened;
};

ExpectedRunner::ExpectedRunner(const std::filesystem::path& dir) : m_impl(new Impl) {
    m_impl->opened = app::openModel(dir);
}

ExpectedRunner::~ExpectedRunner() = default;

namespace {

app::PromptTokens tokensOf(const app::OpenedModel& opened, const QString& prompt) {
    return opened.tokenizer ? app::encodePrompt(opened, prompt.toStdString())
                            : app::promptFromIds(opened, app::parseIdList(prompt.toStdString()));
}

ExpectedRun runWith(app::OpenedModel& opened, const QString& prompt,
                    const std::vector<capture::Intervention>& edits) {
    const app::PromptTokens tokens = tokensOf(opened, prompt);
    capture::CaptureSpec spec;
    spec.hooks = {"blocks.*.attn.hook_pattern"};
    const app::PromptRun r = app::runPrompt(opened, tokens, spec, edits, 10);
    ExpectedRun out;
    out.length = static_cast<int>(tokens.ids.size());
    for (const auto& t : r.top) {
        out.topIds.push_back(t.id);
        out.topProbs.push_back(t.prob);
    }
    const at::Tensor probs = at::softmax(r.logits.to(at::kDouble), -1).contiguous();
    out.fullProbs.assign(probs.data_ptr<double>(), probs.data_ptr<double>() + probs.numel());
    for (int64_t l = 0; l < opened.model->config().nLayers; ++l) {
        const at::Tensor p = r.cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern")[0]
                                 .to(at::kFloat)
                                 .contiguous();
        out.patterns.emplace_back(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    }
    return out;
}

std::vector<capture::Intervention> zeroAblations(const std::vector<std::pair<int, int>>& heads) {
    std::vector<capture::Intervention> edits;
    for (const auto& [layer, head] : heads) {
        capture::HeadAblation a;
        a.layer = layer;
        a.heads = {head};
        a.mode = capture::AblationMode::Zero;
        edits.emplace_back(a);
    }
    return edits;
}

}  // namespace

ExpectedRun ExpectedRunner::runEdit(const QString& prompt, const QString& kind, int layer, int head,
                                    double param, const QString& corrupted) {
    using namespace attnscope::ui;
    auto& opened = m_impl->opened;
    std::vector<capture::Intervention> edits;
    if (kind == kinds::kScale) {
        capture::HeadScale e;
        e.layer = layer;
        e.heads = {head};
        e.factor = param;
        edits.emplace_back(e);
    } else if (kind == kinds::kMeanAblation) {
        capture::HeadAblation a;
        a.layer = layer;
        a.heads = {head};
        a.mode = capture::AblationMode::Mean;
        edits.emplace_back(a);
    } else if (kind == kinds::kSinkWindow) {
        capture::StreamingRestriction e;
        e.layer = layer;
        e.heads = {head};
        e.sinkTokens = 4;
        e.window = static_cast<int64_t>(param);
        edits.emplace_back(e);
    } else if (kind == kinds::kActCalibration) {
        capture::PatternEdit e;
        e.layer = layer;
        e.heads = {head};
        e.edit = [param](const at::Tensor& pattern, int64_t, int64_t) {
            using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
            const at::Tensor p = pattern.to(at::kFloat).contiguous();
            const M in = Eigen::Map<const M>(p.data_ptr<float>(), p.size(0), p.size(1));
            M out = analysis::actCalibrate(in, float(param), 0.4f).calibrated;
            return at::from_blob(out.data(), p.sizes(), at::kFloat).clone();
        };
        edits.emplace_back(e);
    } else if (kind == kinds::kPatch) {
        capture::CaptureSpec spec;
        spec.hooks = {"blocks." + std::to_string(layer) + ".attn.hook_z"};
        const auto src = app::runPrompt(opened, tokensOf(opened, corrupted), spec, {}, 1);
        capture::HookPatch patch;
        patch.hook = spec.hooks[0];
        patch.value = src.cache.get(patch.hook)[0];
        patch.heads = {head};
        edits.emplace_back(patch);
    }
    return runWith(opened, prompt, edits);
}

ExpectedRun ExpectedRunner::run(const QString& prompt,
                                const std::vector<std::pair<int, int>>& ablated) {
    return runWith(m_impl->opened, prompt, zeroAblations(ablated));
}

double expectedLensProb(ExpectedRunner& runner, const QString& prompt,
                        const std::vector<std::pair<int, int>>& ablated, int layer, int64_t token) {
    auto& opened = runner.impl().opened;
    auto& model = *opened.model;
    const auto& config = model.config();
    capture::CaptureSpec spec;
    spec.hooks = {"blocks." + std::to_string(layer) + ".hook_resid_post"};
    const auto r =
        app::runPrompt(opened, tokensOf(opened, prompt), spec, zeroAblations(ablated), 1);
    const at::Tensor resid = r.cache.get(spec.hooks[0])[0];  // [pos, d_model]
    const at::Tensor x = resid[resid.size(0) - 1].to(at::kDouble);
    const at::Tensor w = model.finalNormWeight().to(at::kCPU, at::kDouble);
    at::Tensor normed;
    if (config.norm == capture::NormKind::LayerNorm) {
        const at::Tensor centred = x - x.mean();
        normed = centred / at::sqrt(centred.pow(2).mean() + config.normEps) * w +
                 model.finalNormBias().to(at::kCPU, at::kDouble);
    } else {
        normed = x / at::sqrt(x.pow(2).mean() + config.normEps) * w;
    }
    const at::Tensor logits = at::matmul(model.unembedWeight().to(at::kCPU, at::kDouble), normed);
    return at::softmax(logits, -1)[token].item<double>();
}

std::vector<double> expectedMetric(ExpectedRunner& runner, const std::string& metric,
                                   const std::map<std::string, std::string>& params,
                                   const std::vector<QString>& prompts) {
    auto& opened = runner.impl().opened;
    analysis::Dataset data;
    for (const QString& p : prompts) {
        analysis::DataItem item;
        item.text = p.toStdString();
        if (!opened.tokenizer) item.fields["ids"] = app::parseIdList(p.toStdString());
        data.items.push_back(item);
    }
    const analysis::MetricContext ctx{*opened.model, opened.tokenizer.get(), data, {}};
    return analysis::runMetric(analysis::MetricRegistry::global(), metric, params, ctx)
        .scores.values;
}

}  // namespace attnscope::test
