// §4.4 active/dormant heads: a head is dormant on an input when it parks its attention on BOS
// and zeroing it barely changes the loss.
#include "attnscope/analysis/dormant_metrics.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "head_ablation_loss.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class DormantMetric : public Metric {
public:
    DormantMetric() {
        m_info.name = "dormant";
        m_info.title = "Dormant heads (BOS attention and zero-ablation loss)";
        m_info.description =
            "fraction of items on which the head is dormant: mean_q A[q,0] >= bos_threshold AND "
            "|ΔCE| < delta when the head's output is zeroed (ΔCE: change of the mean next-token "
            "cross-entropy of the item); details hold both components";
        m_info.citation = "spec §4.4 (Guo et al. arXiv 2410.13835); rule [UNVERIFIED]";
        m_info.hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z"};
        m_info.usesInterventions = true;
        m_info.params = {
            {"bos_threshold", ParamType::Real, "0.9", "sink-dominated iff mean_q A[q,0] >= this",
             true},
            {"delta", ParamType::Real, "0.01", "loss-neutral iff |ΔCE| < delta (nats)", true},
            maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        const auto& c = ctx.model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        const DormantParams rule{p.real("bos_threshold"), p.real("delta")};
        HeadTableMean bos(layers, heads), dce(layers, heads), sink(layers, heads),
            neutral(layers, heads), dormant(layers, heads);
        MetricResult r;
        nlohmann::json perItem = nlohmann::json::array();
        forEachPromptPatterns(
            ctx, p.integer("max_tokens"), [&](std::size_t i, const std::vector<at::Tensor>& maps) {
                HeadTable mass(layers, heads);
                for (int l = 0; l < layers; ++l)
                    for (int h = 0; h < heads; ++h)
                        mass.at(l, h) = bosMass(toAttentionMap(maps[l][h]));
                const auto ids = itemIds(ctx, ctx.data.items[i], p.integer("max_tokens"));
                const HeadTable delta = zeroAblationDeltaCe(ctx.model, ids);
                const DormantVerdicts v = dormantRule(mass, delta, rule);
                bos.add(mass);
                dce.add(delta);
                sink.add(v.sinkDominated);
                neutral.add(v.lossNeutral);
                dormant.add(v.dormant);
                perItem.push_back({{"bos_mass", mass.values},
                                   {"delta_ce", delta.values},
                                   {"dormant", v.dormant.values}});
            });
        r.scores = dormant.mean();
        r.details["bos_mass"] = bos.mean().values;
        r.details["delta_ce"] = dce.mean().values;
        r.details["sink_dominated"] = sink.mean().values;
        r.details["loss_neutral"] = neutral.mean().values;
        r.details["per_item"] = perItem;
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeDormantMetric() {
    return std::make_shared<DormantMetric>();
}

}  // namespace attnscope::analysis
