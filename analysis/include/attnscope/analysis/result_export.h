#pragma once
// Metric results out: the HDF5 /results group, CSV and JSON.
#include <filesystem>
#include <string>

#include "attnscope/analysis/metric.h"
#include "attnscope/store/capture_types.h"

namespace attnscope::analysis {

/// Adds the result's table to `path` (created when missing, with `model` as its model identity)
/// under /results/<metric>/<key>, with parameters, dataset and fingerprint as attributes.
void writeResult(const std::filesystem::path& path, const std::string& metric,
                 const std::string& key, const MetricResult& result, const store::ModelInfo& model);

/// "layer,head,score" rows.
std::string resultToCsv(const MetricResult& result);

/// {"metric", "layers", "heads", "scores" [[...]], "params", "dataset", "details"}.
nlohmann::json resultToJson(const std::string& metric, const MetricResult& result);

}  // namespace attnscope::analysis
