#pragma once
// Datasets of prompts for metrics: plain text (one prompt per line) or JSON lines.
#include <filesystem>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

/// .jsonl: one object per line with the prompt under "text", "prompt" or "input" (or token ids
/// under "ids"); other fields are kept. Anything else: one prompt per non-empty line.
/// Throws InputError naming the file and line for malformed input.
Dataset loadDataset(const std::filesystem::path& path);

/// One JSONL line as an item (what loadDataset reads); `where` ("file:line") starts errors.
DataItem dataItemFromJsonLine(const std::string& line, const std::string& where);
/// Items from JSON object texts, one per entry.
Dataset datasetFromJsonLines(const std::vector<std::string>& lines, std::string description);

Dataset datasetFromTexts(const std::vector<std::string>& texts, std::string description);

}  // namespace attnscope::analysis
