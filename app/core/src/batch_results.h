#pragma once
// Writing and reading batch results files (app/core internal; batch.h has the public reader).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/app/batch.h"

namespace attnscope::app {

/// Mean tables over the finished items of each model and edit list, keyed "mean-m<M>-<edits>".
std::vector<std::pair<std::string, ResultTable>> aggregateTables(
    const std::vector<ItemRecord>& items);

/// Replaces `path` atomically with `items` (in index order) and their aggregates, and writes the
/// CSV and JSON summaries beside it.
void writeBatchResults(const std::filesystem::path& path, const BatchPlan& plan,
                       const std::vector<ItemRecord>& items);

/// The `batch` record of a results file (its run and, with their table labels, `items`); the
/// journal's header is the same record without items.
nlohmann::json batchRecord(const BatchPlan& plan, const std::vector<ItemRecord>& items);
/// An item's fields in the record (its tables by label) and back (without tables). Throws
/// nlohmann::json::exception on a missing or mistyped field.
nlohmann::json itemJson(const ItemRecord& item);
ItemRecord itemFromJson(const nlohmann::json& item);
/// The run described by a `batch` record (without its items). Throws nlohmann::json::exception.
BatchResultsFile runFromRecord(const nlohmann::json& record);

}  // namespace attnscope::app
