// Registry metrics run from the GUI, and the catalogue the analysis form is built from.
#include "engine_state.h"  // LibTorch first

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/ui/metric_descriptor.h"

namespace attnscope::ui {
namespace {

ParamDescriptor::Type typeOf(analysis::ParamType t) {
    switch (t) {
        case analysis::ParamType::Integer:
            return ParamDescriptor::Type::Integer;
        case analysis::ParamType::Real:
            return ParamDescriptor::Type::Real;
        case analysis::ParamType::Boolean:
            return ParamDescriptor::Type::Boolean;
        case analysis::ParamType::Text:
            return ParamDescriptor::Type::Text;
    }
    return ParamDescriptor::Type::Text;
}

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

std::vector<MetricDescriptor> metricCatalog() {
    std::vector<MetricDescriptor> out;
    for (const auto& metric : analysis::MetricRegistry::global().all()) {
        const analysis::MetricInfo& info = metric->info();
        MetricDescriptor d{
            qs(info.name), qs(info.title), qs(info.description), qs(info.citation), {}};
        for (const auto& p : info.params)
            d.params.push_back(
                {qs(p.name), typeOf(p.type), qs(p.defaultValue), qs(p.help), p.unverified});
        out.push_back(std::move(d));
    }
    return out;
}

namespace detail {

AnalysisOutcome runAnalysis(Engine& engine, const AnalysisRequest& request,
                            const Progress& progress, const std::atomic<bool>& cancel) {
    analysis::Dataset data;
    if (!request.datasetPath.isEmpty()) {
        data = analysis::loadDataset(request.datasetPath.toStdString());
    } else if (engine.opened.tokenizer) {
        std::vector<std::string> texts;
        for (const QString& p : request.prompts)
            texts.push_back(p.toStdString());
        data = analysis::datasetFromTexts(texts, "prompts typed in the GUI");
    } else {
        data.description = "token ids typed in the GUI";
        for (const QString& p : request.prompts) {
            analysis::DataItem item;
            item.fields["ids"] = app::parseIdList(p.trimmed().toStdString());
            data.items.push_back(std::move(item));
        }
    }
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : request.params)
        params[k.toStdString()] = v.toStdString();
    analysis::MetricContext ctx{*engine.opened.model, engine.opened.tokenizer.get(), data,
                                [&progress](double f, const std::string& what) {
                                    if (progress) progress(f, QString::fromStdString(what));
                                },
                                &cancel};
    const auto& registry = analysis::MetricRegistry::global();
    const analysis::MetricResult r =
        analysis::runMetric(registry, request.metric.toStdString(), params, ctx);
    AnalysisOutcome out;
    out.cancelled = r.cancelled || cancel.load();
    const auto& info = registry.find(request.metric.toStdString())->info();
    HeadScoresSnapshot& s = out.scores;
    s.metric = request.metric;
    s.description = qs(info.title);
    const auto& config = engine.opened.model->config();
    s.layers = r.scores.layers;
    s.heads = static_cast<int>(config.nHeads);
    // A [layer, kv_head] table is shown per query head: each takes its KV head's score.
    const int group = r.scores.heads > 0 && r.scores.heads < s.heads ? s.heads / r.scores.heads : 1;
    if (r.scores.heads * group != s.heads) s.heads = r.scores.heads;
    for (int l = 0; l < s.layers; ++l)
        for (int h = 0; h < s.heads; ++h)
            s.values.push_back(r.scores.at(l, h / group));
    return out;
}

}  // namespace detail
}  // namespace attnscope::ui
