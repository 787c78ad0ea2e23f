#pragma once
// Shared by the prefill-pattern metrics: tokenize each dataset item and run it once with every
// layer's attention pattern captured.
#include <ATen/ATen.h>

#include <functional>
#include <vector>

#include "attnscope/analysis/attention_map.h"
#include "attnscope/analysis/item_ids.h"
#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

/// Calls `fn(item index, per-layer patterns [head, query, key])` for every item. Reports
/// progress; throws capture::Cancelled on cancel and InputError for an empty dataset.
void forEachPromptPatterns(
    const MetricContext& ctx, int64_t maxTokens,
    const std::function<void(std::size_t item, const std::vector<at::Tensor>& patterns)>& fn);

/// One head's [query, key] map as an Eigen matrix.
AttentionMap toAttentionMap(const at::Tensor& headPattern);

/// Averages per-item head tables (NaN-free mean over items).
class HeadTableMean {
public:
    HeadTableMean(int layers, int heads) : m_sum(layers, heads), m_count(0) {}
    void add(const HeadTable& t);
    HeadTable mean() const;
    int count() const { return m_count; }

private:
    HeadTable m_sum;
    int m_count;
};

}  // namespace attnscope::analysis
