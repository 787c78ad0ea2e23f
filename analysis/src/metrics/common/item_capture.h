#pragma once
// One forward of a dataset item with chosen hooks captured (sink-family metrics).
#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/capture_spec.h"

namespace attnscope::analysis {

/// For every item (truncated to maxTokens, skipping items shorter than minTokens): one forward
/// with `hooks` captured, then fn(item index, ids, cache). Reports progress; throws
/// capture::Cancelled when cancelled and capture::InputError for an empty dataset.
void forEachItemCapture(const MetricContext& ctx, const std::vector<std::string>& hooks,
                        int64_t maxTokens, std::size_t minTokens,
                        const std::function<void(std::size_t item, const std::vector<int64_t>& ids,
                                                 const capture::ActivationCache& cache)>& fn);

/// "blocks.{layer}.{suffix}".
std::string layerHookName(int64_t layer, const std::string& suffix);

}  // namespace attnscope::analysis
