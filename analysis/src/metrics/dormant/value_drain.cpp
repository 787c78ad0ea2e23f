// §4.4 value-state drain: the sink token's value, written through the head's W_O slice, is
// markedly smaller than other tokens'.
#include "attnscope/analysis/dormant_metrics.h"
#include "attnscope/analysis/received_attention.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "item_capture.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class ValueDrainMetric : public Metric {
public:
    ValueDrainMetric() {
        m_info.name = "value_drain";
        m_info.title = "Value-state drain (‖W_O^h v_t‖ of sink tokens)";
        m_info.description =
            "mean ‖W_O^h v_t‖ over the sink tokens divided by the smallest norm over the other "
            "tokens (< 1: the sink's value is smaller than every other token's); details hold "
            "the sink norm and the non-sink min and max";
        m_info.citation = "spec §4.4 (Guo et al., value-state drain)";
        m_info.hooks = {"blocks.*.attn.hook_v", "blocks.*.attn.hook_pattern"};
        m_info.params = {
            {"sink_keys", ParamType::Text, "bos",
             "bos (token 0) or top2 (the two keys with the largest alpha, per head)", false},
            maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        auto& model = ctx.model;
        const auto& c = model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        const int64_t d = c.headDim, group = c.nHeads / c.nKvHeads;
        const std::string mode = p.text("sink_keys");
        if (mode != "bos" && mode != "top2")
            throw capture::InputError("sink_keys must be bos or top2, got '" + mode + "'");
        std::vector<std::string> hooks = {"blocks.*.attn.hook_v"};
        if (mode == "top2") hooks.push_back("blocks.*.attn.hook_pattern");
        HeadTableMean ratio(layers, heads), sink(layers, heads), lo(layers, heads),
            hi(layers, heads);
        MetricResult r;
        forEachItemCapture(
            ctx, hooks, p.integer("max_tokens"), mode == "top2" ? 3 : 2,
            [&](std::size_t, const std::vector<int64_t>&, const capture::ActivationCache& cache) {
                HeadTable tr(layers, heads), ts(layers, heads), tl(layers, heads),
                    th(layers, heads);
                for (int l = 0; l < layers; ++l) {
                    const at::Tensor v = cache.get(layerHookName(l, "attn.hook_v"))[0];  // [T,kv,d]
                    const at::Tensor wO = model.block(l).attn->wO.to(at::kCPU, at::kFloat);
                    for (int h = 0; h < heads; ++h) {
                        const AttentionMap w = toAttentionMap(wO.narrow(1, h * d, d));
                        const AttentionMap values = toAttentionMap(v.select(1, h / group));
                        const Eigen::VectorXd norms = valueDrainNorms(w, values);
                        std::vector<int> keys = {0};
                        if (mode == "top2") {
                            const at::Tensor a =
                                cache.get(layerHookName(l, "attn.hook_pattern"))[0][h];
                            keys = topSinkKeys(receivedAttention(toAttentionMap(a)), 2);
                        }
                        const ValueDrainComparison cmp = compareValueDrain(norms, keys);
                        ts.at(l, h) = cmp.sinkMean;
                        tl.at(l, h) = cmp.nonSinkMin;
                        th.at(l, h) = cmp.nonSinkMax;
                        tr.at(l, h) = cmp.sinkMean / cmp.nonSinkMin;
                    }
                }
                ratio.add(tr);
                sink.add(ts);
                lo.add(tl);
                hi.add(th);
            });
        r.scores = ratio.mean();
        r.details["sink_norm"] = sink.mean().values;
        r.details["non_sink_min"] = lo.mean().values;
        r.details["non_sink_max"] = hi.mean().values;
        r.details["items"] = ratio.count();
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeValueDrainMetric() {
    return std::make_shared<ValueDrainMetric>();
}

}  // namespace attnscope::analysis
