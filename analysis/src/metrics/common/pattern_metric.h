#pragma once
// A metric that scores each head from its prefill attention maps, averaged over the dataset.
#include <functional>

#include "attnscope/analysis/attention_map.h"
#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

/// Per-head score of one map; `details` may collect extra per-head values keyed by name.
using HeadMapScore = std::function<double(const AttentionMap& map, const MetricParams& params)>;

/// Adds dataset-level values to a finished result (its details hold "per_item": one row-major
/// table per item).
using ResultFinisher = std::function<void(MetricResult& result, const MetricParams& params)>;

/// Builds a registry metric from a per-map score: it runs every item (truncated to the
/// `max_tokens` parameter, which the metric's info must declare), scores every head's map and
/// averages over items.
std::shared_ptr<const Metric> makePatternMetric(MetricInfo info, HeadMapScore score,
                                                ResultFinisher finish = {});

/// The `max_tokens` parameter every pattern metric declares.
ParamSpec maxTokensParam(int64_t defaultValue);

}  // namespace attnscope::analysis
