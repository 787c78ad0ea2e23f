// §4.4 residual-state peak: BOS carries a massive residual norm from an early layer onward.
#include "attnscope/analysis/dormant_metrics.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "item_capture.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class ResidualPeakMetric : public Metric {
public:
    ResidualPeakMetric() {
        m_info.name = "residual_peak";
        m_info.title = "Residual-state peak on BOS";
        m_info.description =
            "per layer, ‖x_post[l, 0]‖ / max_{t>=1} ‖x_post[l, t]‖ (mean over items); the table "
            "is [layer, 1], details hold the BOS norm, the largest other norm and its position";
        m_info.citation = "spec §4.4 (Guo et al., residual-state peak)";
        m_info.hooks = {"blocks.*.hook_resid_post"};
        m_info.params = {maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        const int layers = static_cast<int>(ctx.model.config().nLayers);
        HeadTableMean ratio(layers, 1), bos(layers, 1), other(layers, 1);
        nlohmann::json argmax = nlohmann::json::array();
        MetricResult r;
        forEachItemCapture(
            ctx, {"blocks.*.hook_resid_post"}, p.integer("max_tokens"), 2,
            [&](std::size_t, const std::vector<int64_t>&, const capture::ActivationCache& cache) {
                HeadTable tr(layers, 1), tb(layers, 1), to(layers, 1);
                std::vector<int> where;
                for (int l = 0; l < layers; ++l) {
                    const ResidualPeak peak = residualPeak(
                        toAttentionMap(cache.get(layerHookName(l, "hook_resid_post"))[0]));
                    tr.at(l, 0) = peak.ratio;
                    tb.at(l, 0) = peak.bosNorm;
                    to.at(l, 0) = peak.maxOtherNorm;
                    where.push_back(peak.argmaxOther);
                }
                ratio.add(tr);
                bos.add(tb);
                other.add(to);
                argmax.push_back(where);
            });
        r.scores = ratio.mean();
        r.details["bos_norm"] = bos.mean().values;
        r.details["max_other_norm"] = other.mean().values;
        r.details["argmax_other_per_item"] = argmax;
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeResidualPeakMetric() {
    return std::make_shared<ResidualPeakMetric>();
}

}  // namespace attnscope::analysis
