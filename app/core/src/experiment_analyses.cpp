// What an experiment item runs: registry metrics (kind "metric") and the kinds below, each on
// the session that holds the item's model.
#include "attnscope/app/experiment_analyses.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "attnscope/capture/load_error.h"
#include "experiment_kinds.h"

namespace attnscope::app {

nlohmann::json givenParams(const AnalysisSpec& spec) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : spec.params)
        out[k] = v;
    return out;
}

namespace {

using analysis::ParamType;
using nlohmann::json;

std::vector<float> toFloats(const std::vector<double>& values) {
    return {values.begin(), values.end()};
}

std::string paramOr(const AnalysisSpec& spec, const std::string& name,
                    const std::string& fallback) {
    const auto it = spec.params.find(name);
    return it == spec.params.end() ? fallback : it->second;
}

ResultTable runMetricAnalysis(Session& session, const ItemInput& item, const AnalysisSpec& spec,
                              const capture::Progress& progress) {
    ScoreRequest request;
    request.metric = spec.name;
    request.params = spec.params;
    request.itemsJson = {item.fieldsJson};
    request.edits = item.edits;
    const HeadScores scores = session.score(request, progress);
    ResultTable t;
    t.analysis = spec.label;
    t.shape = "head_scores";
    t.rows = scores.layers;
    t.cols = scores.heads;
    t.values = toFloats(scores.values);
    t.paramsJson =
        json{{"analysis", "metric"}, {"metric", spec.name}, {"params", givenParams(spec)}}.dump();
    return t;
}

ResultTable runLogitLens(Session& session, const ItemInput& item, const AnalysisSpec& spec,
                         const std::vector<ResultTable>&, const capture::Progress& progress) {
    RunRequest request;
    request.prompt = item.prompt;
    request.corruptedPrompt = item.corruptedPrompt;
    request.edits = item.edits;
    const auto run = session.run(request, progress);
    ResultTable t;
    t.analysis = spec.label;
    t.shape = "per_layer";
    t.rows = static_cast<int>(run->lens.prob.size());
    t.cols = 2;
    t.columns = {"edited", "baseline"};
    for (size_t l = 0; l < run->lens.prob.size(); ++l) {
        t.values.push_back(static_cast<float>(run->lens.prob[l]));
        t.values.push_back(static_cast<float>(run->lens.baselineProb[l]));
    }
    t.paramsJson =
        json{
            {"analysis", "logit_lens"}, {"token", run->lens.token}, {"token_id", run->lens.tokenId}}
            .dump();
    return t;
}

ResultTable runAblationCurve(Session& session, const ItemInput& item, const AnalysisSpec& spec,
                             const std::vector<ResultTable>& earlier,
                             const capture::Progress& progress) {
    const std::string scoreLabel = paramOr(spec, "score", "");
    const ResultTable* order = nullptr;
    for (const ResultTable& t : earlier)
        if (t.shape == "head_scores" && (scoreLabel.empty() || t.analysis == scoreLabel)) {
            order = &t;
            break;
        }
    if (!order) throw capture::InputError("ablation_curve: no earlier head score to order by");
    AblationCurveRequest request;
    request.prompt = item.prompt;
    request.scores.metric = order->analysis;
    request.scores.layers = order->rows;
    request.scores.heads = order->cols;
    request.scores.values.assign(order->values.begin(), order->values.end());
    request.scoreLabel = order->analysis;
    request.maxHeads = std::stoi(paramOr(spec, "max_heads", "16"));
    request.randomOrders = std::stoi(paramOr(spec, "random_orders", "5"));
    request.seed = std::stoull(paramOr(spec, "seed", "1"));
    const AblationCurve curve = session.ablationCurve(request, progress);
    ResultTable t;
    t.analysis = spec.label;
    t.shape = "curve";
    t.rows = static_cast<int>(curve.headsRemoved.size());
    t.cols = 4;
    t.columns = {"heads_removed", "by_score", "random", "random_std"};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int i = 0; i < t.rows; ++i) {
        const auto at = [&](const std::vector<double>& v) {
            return static_cast<size_t>(i) < v.size() ? static_cast<float>(v[i]) : nan;
        };
        t.values.insert(t.values.end(), {at(curve.headsRemoved), at(curve.byScore),
                                         at(curve.random), at(curve.randomStd)});
    }
    t.paramsJson = json{{"analysis", "ablation_curve"},
                        {"measured", curve.metric},
                        {"score", curve.score},
                        {"params", givenParams(spec)}}
                       .dump();
    return t;
}

}  // namespace

const std::vector<AnalysisKind>& analysisKinds() {
    static const std::vector<AnalysisKind> kinds = [] {
        std::vector<AnalysisKind> all = {
            {"logit_lens",
             "per layer, the probability of the edited run's top token in the edited and the "
             "unedited run",
             {},
             runLogitLens},
            {"ablation_curve",
             "heads zero-ablated cumulatively in the order of an earlier head score, against "
             "random orders",
             {{"score", ParamType::Text, "", "label of the metric analysis that orders the heads"},
              {"max_heads", ParamType::Integer, "16", "heads removed at most"},
              {"random_orders", ParamType::Integer, "5", "random orders for the reference"},
              {"seed", ParamType::Integer, "1", "seed of the random orders"}},
             runAblationCurve},
        };
        for (AnalysisKind& k : circuitAnalysisKinds())
            all.push_back(std::move(k));
        return all;
    }();
    return kinds;
}

const AnalysisKind* findAnalysisKind(const std::string& name) {
    for (const AnalysisKind& k : analysisKinds())
        if (k.name == name) return &k;
    return nullptr;
}

ResultTable runAnalysis(Session& session, const ItemInput& item, const AnalysisSpec& spec,
                        const std::vector<ResultTable>& earlier,
                        const capture::Progress& progress) {
    if (spec.kind == "metric") return runMetricAnalysis(session, item, spec, progress);
    const AnalysisKind* kind = findAnalysisKind(spec.kind);
    if (!kind) throw capture::InputError("unknown analysis kind \"" + spec.kind + "\"");
    return kind->run(session, item, spec, earlier, progress);
}

}  // namespace attnscope::app
