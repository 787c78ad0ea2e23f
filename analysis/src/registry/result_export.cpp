#include "attnscope/analysis/result_export.h"

#include <cmath>
#include <sstream>

#include "attnscope/store/capture_writer.h"

namespace attnscope::analysis {
namespace {

// Per-item tables can be large; files keep the summary (the CSV/JSON exports keep everything).
nlohmann::json summaryDetails(const nlohmann::json& details) {
    nlohmann::json out = details;
    if (out.is_object()) out.erase("per_item");
    return out;
}

}  // namespace

void writeResult(const std::filesystem::path& path, const std::string& metric,
                 const std::string& key, const MetricResult& result,
                 const store::ModelInfo& model) {
    store::ScoreTable table;
    table.layers = result.scores.layers;
    table.heads = result.scores.heads;
    for (double v : result.scores.values)
        table.values.push_back(static_cast<float>(v));
    const nlohmann::json attrs = {{"params", result.params},
                                  {"dataset", result.datasetDescription},
                                  {"fingerprint", model.fingerprint},
                                  {"details", summaryDetails(result.details)}};
    auto writer = std::filesystem::exists(path) ? store::CaptureWriter::append(path, {})
                                                : store::CaptureWriter::create(path, {}, model);
    writer.writeScores(metric, key, table,
                       attrs.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    writer.commit();
}

std::string resultToCsv(const MetricResult& result) {
    std::ostringstream out;
    out.precision(9);
    out << "layer,head,score\n";
    for (int l = 0; l < result.scores.layers; ++l)
        for (int h = 0; h < result.scores.heads; ++h) {
            const double v = result.scores.at(l, h);
            out << l << "," << h << ",";
            if (std::isnan(v))
                out << "nan";
            else
                out << v;
            out << "\n";
        }
    return out.str();
}

nlohmann::json resultToJson(const std::string& metric, const MetricResult& result) {
    nlohmann::json rows = nlohmann::json::array();
    for (int l = 0; l < result.scores.layers; ++l) {
        nlohmann::json row = nlohmann::json::array();
        for (int h = 0; h < result.scores.heads; ++h) {
            const double v = result.scores.at(l, h);
            row.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
        }
        rows.push_back(row);
    }
    return {{"metric", metric},
            {"layers", result.scores.layers},
            {"heads", result.scores.heads},
            {"scores", rows},
            {"params", result.params},
            {"dataset", result.datasetDescription},
            {"details", result.details}};
}

}  // namespace attnscope::analysis
