// §5 engine note: a cheap stand-in for DuoAttention's gates, the output change when a head
// alone is restricted to sink + recent attention.
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class StreamingProxyMetric : public Metric {
public:
    StreamingProxyMetric() {
        m_info.name = "streaming_proxy";
        m_info.title = "Streaming-restriction sensitivity (DuoAttention proxy)";
        m_info.description =
            "KL(p || p') of the last position's next-token distribution when the head alone "
            "sees only the first `sink` and the `recent` latest keys; high: the head needs full "
            "attention";
        m_info.citation =
            "spec §5.1/§5 engine note (streaming mask of DuoAttention); proxy "
            "[UNVERIFIED], not the trained gates";
        m_info.hooks = {"blocks.*.attn.hook_attn_scores"};
        m_info.usesInterventions = true;
        m_info.params = {{"sink", ParamType::Integer, "4", "sink tokens", false},
                         {"recent", ParamType::Integer, "16", "recent window", false},
                         maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        auto& model = ctx.model;
        const auto& c = model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
        HeadTableMean mean(layers, heads);
        MetricResult r;
        at::NoGradGuard noGrad;
        for (std::size_t i = 0; i < ctx.data.items.size(); ++i) {
            ctx.progress.check();
            const auto ids = itemIds(ctx, ctx.data.items[i], p.integer("max_tokens"));
            if (ids.empty()) continue;
            const at::Tensor row =
                at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
            const at::Tensor base = at::log_softmax(model.forward(row)[0][-1].to(at::kDouble), -1);
            HeadTable table(layers, heads);
            for (int64_t l = 0; l < layers; ++l) {
                std::vector<capture::Intervention> edits;
                for (int64_t h = 0; h < heads; ++h)
                    edits.emplace_back(capture::StreamingRestriction{
                        l, {h}, p.integer("sink"), p.integer("recent"), h});
                capture::HookScope scope(model.hooks());
                capture::applyInterventions(scope, model, edits);
                const at::Tensor lp = at::log_softmax(
                    model.forward(row.expand({heads, -1})).select(1, -1).to(at::kDouble), -1);
                const at::Tensor kl = (base.exp() * (base - lp)).sum(-1).to(at::kCPU);  // [H]
                for (int h = 0; h < heads; ++h)
                    table.at(static_cast<int>(l), h) = kl[h].item<double>();
            }
            mean.add(table);
            ctx.report(double(i + 1) / double(ctx.data.items.size()), "streaming proxy");
        }
        r.scores = mean.mean();
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeStreamingProxyMetric() {
    return std::make_shared<StreamingProxyMetric>();
}

}  // namespace attnscope::analysis
