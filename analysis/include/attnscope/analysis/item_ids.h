#pragma once
// The token ids a metric runs on for one dataset item (built-in and plugin metrics alike).
#include <cstdint>
#include <vector>

#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

/// Token ids of an item: its "ids" field when present, else its text encoded with the model's
/// tokenizer (BOS as the tokenizer adds it), truncated to `maxTokens` (0: no limit). Throws
/// InputError when the item has no ids and the model no tokenizer.
std::vector<int64_t> itemIds(const MetricContext& ctx, const DataItem& item, int64_t maxTokens);

}  // namespace attnscope::analysis
