#pragma once
// Writing and reading batch results files (app/core internal; batch.h has the public reader).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/app/batch.h"
#include "attnscope/store/capture_reader.h"

namespace attnscope::app {

/// Mean tables over the finished items of each model and edit list, keyed "mean-m<M>-<edits>".
std::vector<std::pair<std::string, ResultTable>> aggregateTables(
    const std::vector<ItemRecord>& items);

/// Replaces `path` atomically with `items` (in index order) and their aggregates; with
/// `summaries`, also the CSV and JSON summaries beside it.
void writeBatchResults(const std::filesystem::path& path, const BatchPlan& plan,
                       const std::vector<ItemRecord>& items, bool summaries);

/// readBatchResults with a chosen trust (a rank's own shard files are Trusted).
BatchResultsFile readBatchResults(const std::filesystem::path& path,
                                  store::CaptureReader::Trust trust);

}  // namespace attnscope::app
