// §4.4 entropy detectors of active/dormant heads.
#include "attnscope/analysis/attention_entropy.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeRowEntropyMetric() {
    MetricInfo info;
    info.name = "row_entropy";
    info.title = "Normalised row entropy (dormant-head detector)";
    info.description =
        "mean_q of each row's entropy / log(q+1): near 0 for heads that attend to one token "
        "(e.g. dormant heads on the sink), near 1 for uniform attention";
    info.citation = "spec §4.4 (Guo et al., LLM/src/entropy.py)";
    info.hooks = {"blocks.*.attn.hook_pattern"};
    info.params = {maxTokensParam(0)};
    return makePatternMetric(
        info, [](const AttentionMap& a, const MetricParams&) { return rowEntropy(a); });
}

}  // namespace attnscope::analysis
