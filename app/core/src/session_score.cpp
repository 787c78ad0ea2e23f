// Registry metrics run on a session's model.
#include <nlohmann/json.hpp>

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {

HeadScores Session::score(const ScoreRequest& request, const capture::Progress& progress) {
    Impl& d = *m_impl;
    analysis::Dataset data;
    if (!request.datasetPath.empty()) {
        data = analysis::loadDataset(request.datasetPath);
    } else if (!request.itemsJson.empty()) {
        data = analysis::datasetFromJsonLines(request.itemsJson, "experiment items");
    } else if (d.opened.tokenizer) {
        data = analysis::datasetFromTexts(request.prompts, "typed prompts");
    } else {
        data.description = "typed token ids";
        for (const std::string& p : request.prompts) {
            analysis::DataItem item;
            item.fields["ids"] = d.tokensOf(p).ids;
            data.items.push_back(std::move(item));
        }
    }
    const analysis::MetricContext ctx{*d.opened.model, d.opened.tokenizer.get(), data, progress};
    const auto& registry = analysis::MetricRegistry::global();
    // The edits stay attached to the model's hook points for the metric's forwards only.
    const auto& config = d.opened.model->config();
    for (const Edit& e : request.edits)
        if (e.enabled && e.kind == EditKind::Patch)
            throw capture::InputError(
                "a patch edit cannot apply to a metric: it needs a corrupted run of each prompt");
    capture::HookScope editScope(d.opened.model->hooks());
    capture::applyInterventions(editScope, *d.opened.model,
                                toInterventions(request.edits, static_cast<int>(config.nLayers),
                                                static_cast<int>(config.nHeads), 0, nullptr, 0));
    const analysis::MetricResult r =
        analysis::runMetric(registry, request.metric, request.params, ctx);
    const auto& info = registry.find(request.metric)->info();
    HeadScores s;
    s.metric = request.metric;
    s.description = info.title;
    // GQA: a [layer, kv_head] table is shown per query head.
    const analysis::HeadTable table = analysis::expandKvHeads(r.scores, d.summary.heads);
    s.layers = table.layers;
    s.heads = table.heads;
    s.values = table.values;
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [k, v] : request.params)
        given[k] = v;
    nlohmann::json params = nlohmann::json{
        {"metric", request.metric},
        {"title", info.title},
        {"params", given},
        {"dataset", request.datasetPath.empty() ? data.description : request.datasetPath},
        {"dataset_path", request.datasetPath},
        {"items", data.items.size()}};
    if (!request.edits.empty())
        params["interventions"] = nlohmann::json::parse(editsToJson(request.edits));
    s.paramsJson = params.dump();
    return s;
}

ScoreRequest scoreRequestOf(const HeadScores& scores) {
    ScoreRequest request;
    request.metric = scores.metric;
    const auto j = nlohmann::json::parse(scores.paramsJson, nullptr, false);
    if (!j.is_object()) return request;
    if (auto it = j.find("metric"); it != j.end() && it->is_string())
        request.metric = it->get<std::string>();
    if (auto it = j.find("params"); it != j.end() && it->is_object())
        for (const auto& [key, value] : it->items())
            request.params[key] = value.is_string() ? value.get<std::string>() : value.dump();
    if (auto it = j.find("dataset_path"); it != j.end() && it->is_string())
        request.datasetPath = it->get<std::string>();
    return request;
}

}  // namespace attnscope::app
