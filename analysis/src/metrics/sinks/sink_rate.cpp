// §4.2 first-token received attention alpha[0] and the sink rate of Gu et al.
#include "attnscope/analysis/received_attention.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeSinkRateMetric() {
    MetricInfo info;
    info.name = "sink_rate";
    info.title = "First-token attention and sink rate (Gu et al.)";
    info.description =
        "alpha[l,h,0]: mean attention the first token receives from the queries that see it; "
        "details give SinkRate_eps (% of sample×head pairs with alpha > eps) and is_sink_head";
    info.citation = "spec §1.2, §4.2 (Gu et al. ICLR'25, compute_attention_sink)";
    info.hooks = {"blocks.*.attn.hook_pattern"};
    info.params = {{"eps", ParamType::Real, "0.3", "sink threshold on alpha[0]", false},
                   maxTokensParam(64)};
    return makePatternMetric(
        info, [](const AttentionMap& a, const MetricParams&) { return receivedAttention(a)(0); },
        [](MetricResult& r, const MetricParams& p) {
            const double eps = p.real("eps");
            double above = 0, total = 0;
            for (const auto& item : r.details["per_item"])
                for (double alpha : item) {
                    above += alpha > eps ? 1 : 0;
                    total += 1;
                }
            r.details["sink_rate_percent"] = total > 0 ? 100.0 * above / total : 0.0;
            std::vector<double> isSink;
            for (double v : r.scores.values)
                isSink.push_back(v > eps ? 1.0 : 0.0);
            r.details["is_sink_head"] = isSink;
        });
}

}  // namespace attnscope::analysis
