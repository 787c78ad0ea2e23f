// Registry metrics run on a session's model.
#include <nlohmann/json.hpp>

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/capture/transformer_model.h"
#include "session_state.h"

namespace attnscope::app {

ScoreOutcome Session::score(const ScoreRequest& request, const capture::Progress& progress) {
    Impl& d = *m_impl;
    analysis::Dataset data;
    if (!request.datasetPath.empty()) {
        data = analysis::loadDataset(request.datasetPath);
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
    const analysis::MetricResult r =
        analysis::runMetric(registry, request.metric, request.params, ctx);
    ScoreOutcome out;
    out.cancelled = r.cancelled || progress.cancelled();
    const auto& info = registry.find(request.metric)->info();
    HeadScores& s = out.scores;
    s.metric = request.metric;
    s.description = info.title;
    // GQA: a [layer, kv_head] table is shown per query head.
    const analysis::HeadTable table = analysis::expandKvHeads(r.scores, d.summary.heads);
    s.layers = table.layers;
    s.heads = table.heads;
    s.values = table.values;
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : request.params)
        params[k] = v;
    s.paramsJson = nlohmann::json{{"metric", request.metric},
                                  {"title", info.title},
                                  {"params", params},
                                  {"dataset", request.datasetPath.empty() ? data.description
                                                                          : request.datasetPath},
                                  {"dataset_path", request.datasetPath},
                                  {"items", data.items.size()}}
                       .dump();
    return out;
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
