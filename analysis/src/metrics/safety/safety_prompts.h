#pragma once
// Shared by the safety-head metrics (§3): which dataset items are attacked, how their text is
// templated and tokenized, and the ablation parameters every safety metric declares.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

/// Dataset items with a boolean "harmful" field set to false are benign: the safety metrics
/// skip them when `harmfulOnly` (items without the field always count as harmful).
bool isBenignItem(const DataItem& item);

/// Token ids of the items to score. With a template, the item text is wrapped as
/// prefix + text + suffix before tokenizing (items given as "ids" cannot be templated: an
/// InputError). Throws InputError when no item is left.
std::vector<std::vector<int64_t>> safetyPromptIds(const MetricContext& ctx, bool harmfulOnly,
                                                  bool useTemplate, const std::string& prefix,
                                                  const std::string& suffix, int64_t maxTokens);

/// mask_qkv, mask_type, epsilon (default `epsilon`), batch_size, harmful_only, max_tokens.
std::vector<ParamSpec> ablationParams(const std::string& epsilon);

/// The AblationSpec of those parameters; throws InputError for bad values.
AblationSpec ablationSpecOf(const MetricParams& params);

/// batch_size, checked to be >= 1.
int64_t batchSizeOf(const MetricParams& params);

/// [{"layer", "head", "value"}] for the heads given, with their table values.
nlohmann::json headList(const std::vector<HeadId>& heads, const HeadTable& values);

}  // namespace attnscope::analysis
