// §4.1 StreamingLLM-style sink mass.
#include "attnscope/analysis/sink_metrics.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeSinkMassMetric() {
    MetricInfo info;
    info.name = "sink_mass";
    info.title = "Sink mass (StreamingLLM-style)";
    info.description = "mean over queries q >= S of the attention on the first S tokens";
    info.citation = "spec §4.1 (StreamingLLM, Xiao et al. ICLR'24); an [UNVERIFIED] replica";
    info.hooks = {"blocks.*.attn.hook_pattern"};
    info.params = {{"start_size", ParamType::Integer, "4", "number of initial sink tokens S", true},
                   maxTokensParam(0)};
    return makePatternMetric(info, [](const AttentionMap& a, const MetricParams& p) {
        const int s = static_cast<int>(p.integer("start_size"));
        return a.rows() > s ? sinkMass(a, s) : std::numeric_limits<double>::quiet_NaN();
    });
}

}  // namespace attnscope::analysis
