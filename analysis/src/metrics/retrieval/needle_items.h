#pragma once
// Shared by the retrieval metrics: their parameters, and the needle instances a dataset gives.
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"
#include "attnscope/analysis/needle_retrieval.h"

namespace attnscope::analysis {

/// Parameters of every needle-in-a-haystack metric (grid, decoding, compat_reference).
std::vector<ParamSpec> needleParams();

struct NeedleSetup {
    std::vector<NeedleInstance> instances;
    NeedleDecodeOptions decode;
    std::vector<long long> lengths;  ///< the grid of the haystack items (empty without any)
    std::vector<long long> depths;
    /// Set when the dataset held plain prompts and the grid was generated from them.
    std::string generatedFrom;
};

/// Instances of the dataset. An item with a "haystack" field is a needle case ("needle",
/// "question", "real_needle", optional "template") expanded over the length x depth grid. Any
/// other item is a ready prompt (its text, or its "ids"): the ROUGE reference is "real_needle"
/// or "answer" (text, or "real_needle_ids"/"answer_ids"), the span text "needle" (or
/// "needle_ids", default: the reference); its grid cell is ("prompt_tokens" or its length,
/// round(100 x "depth") or 0). Throws capture::InputError for unusable items.
NeedleSetup needleSetup(const MetricContext& ctx, const MetricParams& params);

/// {"lengths", "depths", "recall" (rows of the grid, null for empty cells), "per_instance",
/// "mean_recall"}.
nlohmann::json recallGridJson(const RecallGrid& grid);

/// "L3H5" labels of heads.
nlohmann::json headLabels(const std::vector<HeadId>& heads);

}  // namespace attnscope::analysis
