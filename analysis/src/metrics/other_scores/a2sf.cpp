// §7.2 A2SF: forgetting-factor accumulated attention per KV group; how concentrated it is on
// the keys A2SF would keep.
#include "attnscope/analysis/a2sf.h"
#include "attnscope/analysis/heavy_hitter.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class A2sfMetric : public Metric {
public:
    A2sfMetric() {
        m_info.name = "a2sf";
        m_info.title = "A2SF accumulated-attention concentration (per KV head)";
        m_info.description =
            "score[k] = Σ_q λ^(T-1-q) Σ_{h in group} A[h,q,k]; the table is the share of the "
            "score held by the top r% of keys (high: a small cache serves the group)";
        m_info.citation =
            "spec §7.2 (Jo & Shin arXiv 2407.20485, A2SFPolicy); λ and the "
            "concentration summary [UNVERIFIED]";
        m_info.hooks = {"blocks.*.attn.hook_pattern"};
        m_info.kvHeads = true;
        m_info.params = {
            {"lambda", ParamType::Real, "0.95", "forgetting factor (README example)", true},
            {"ratio", ParamType::Real, "0.1", "top-key fraction r", true},
            maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        const auto& c = ctx.model.config();
        const int layers = static_cast<int>(c.nLayers), kv = static_cast<int>(c.nKvHeads);
        HeadTableMean mean(layers, kv);
        MetricResult r;
        forEachPromptPatterns(
            ctx, p.integer("max_tokens"), [&](std::size_t, const std::vector<at::Tensor>& maps) {
                HeadTable t(layers, kv);
                for (int l = 0; l < layers; ++l) {
                    std::vector<Eigen::MatrixXf> heads;
                    for (int64_t h = 0; h < c.nHeads; ++h)
                        heads.push_back(toAttentionMap(maps[l][h]));
                    const auto scores = a2sfScores(heads, kv, p.real("lambda"));
                    for (int j = 0; j < kv; ++j)
                        t.at(l, j) =
                            hhConcentration(scores[static_cast<std::size_t>(j)], p.real("ratio"));
                }
                mean.add(t);
            });
        r.scores = mean.mean();
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeA2sfMetric() {
    return std::make_shared<A2sfMetric>();
}

}  // namespace attnscope::analysis
