// §7.1 H2O: how concentrated a head's accumulated attention is on its heavy hitters.
#include "attnscope/analysis/heavy_hitter.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeHeavyHitterMetric() {
    MetricInfo info;
    info.name = "h2o_concentration";
    info.title = "Heavy-hitter concentration (H2O)";
    info.description = "share of accumulated attention Σ_q A[q,k] held by the top r% of keys";
    info.citation = "spec §7.1 (Zhang et al. NeurIPS'23); metric name [UNVERIFIED]";
    info.hooks = {"blocks.*.attn.hook_pattern"};
    info.params = {{"ratio", ParamType::Real, "0.1", "heavy-hitter fraction r", true},
                   maxTokensParam(0)};
    return makePatternMetric(info, [](const AttentionMap& a, const MetricParams& p) {
        return hhConcentration(accumulatedAttention(a), p.real("ratio"));
    });
}

}  // namespace attnscope::analysis
