// §4.3 ACT hidden sinks: attention mass on sinks beyond the first one.
#include "attnscope/analysis/act_calibration.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeActHiddenSinkMetric() {
    MetricInfo info;
    info.name = "act_hidden_sinks";
    info.title = "Hidden attention sinks (ACT)";
    info.description =
        "hidden_sink_mass = mean_q Σ_{k∈K} A[q,k], K = keys with alpha > threshold except the "
        "first; the heads ACT calibration would change most";
    info.citation = "spec §4.3 (Yu et al. ICML'24, atten_process_eval)";
    info.hooks = {"blocks.*.attn.hook_pattern"};
    info.params = {{"threshold", ParamType::Real, "0.1", "alpha threshold THRES", false},
                   {"beta", ParamType::Real, "0.4", "calibration factor BETA", false},
                   maxTokensParam(0)};
    return makePatternMetric(info, [](const AttentionMap& a, const MetricParams& p) {
        return actCalibrate(a, static_cast<float>(p.real("threshold")),
                            static_cast<float>(p.real("beta")))
            .hiddenSinkMass;
    });
}

}  // namespace attnscope::analysis
