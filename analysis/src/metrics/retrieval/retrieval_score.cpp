// §2.1-2.3 retrieval score (Wu et al.): how often a head copies the needle token it attends to
// while the model retrieves the needle.
#include "attnscope/analysis/needle_retrieval.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "needle_items.h"

namespace attnscope::analysis {
namespace {

class RetrievalScoreMetric : public Metric {
public:
    RetrievalScoreMetric() {
        m_info.name = "retrieval_score";
        m_info.title = "Retrieval score (Retrieval Head)";
        m_info.description =
            "share of needle tokens a head copies during greedy needle retrieval: at each decode "
            "step a head scores 1/|needle| when its strongest key lies in the needle span and "
            "holds the generated token; per-head mean over instances with ROUGE-1 recall > 50";
        m_info.citation = "spec §2.1-2.3 (Wu et al. arXiv 2404.15574, retrieval_head_detection.py)";
        m_info.hooks = {"blocks.*.attn.hook_pattern"};
        m_info.perDecodeStep = true;
        m_info.modelData = "needle.jsonl";
        m_info.params = needleParams();
        m_info.params.push_back({"threshold", ParamType::Real, "0.1",
                                 "retrieval head iff score > threshold (paper: 0.1)", false});
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        const NeedleSetup setup = needleSetup(ctx, p);
        const auto& c = ctx.model.config();
        RetrievalScoreAccumulator acc(static_cast<int>(c.nLayers), static_cast<int>(c.nHeads));
        const RecallGrid grid = decodeNeedleGrid(ctx.model, ctx.tokenizer, setup.instances,
                                                 setup.decode, &acc, ctx.progress);
        MetricResult r;
        r.scores = acc.meanScores();
        const double threshold = p.real("threshold");
        r.details["instances"] = setup.instances.size();
        if (!setup.generatedFrom.empty()) r.details["generated_grid"] = setup.generatedFrom;
        r.details["accepted_instances"] = acc.acceptedInstances();
        r.details["recall"] = recallGridJson(grid);
        if (acc.acceptedInstances() > 0) {
            r.details["fraction_above_threshold"] = fractionAbove(r.scores, threshold);
            r.details["retrieval_heads"] = headLabels(headsAbove(r.scores, threshold));
        } else {
            r.details["note"] = "no instance reached ROUGE-1 recall > 50: every score is NaN";
        }
        nlohmann::json spans = nlohmann::json::array();
        for (const auto& i : setup.instances)
            spans.push_back({i.span.begin, i.span.end});
        r.details["needle_spans"] = spans;
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeRetrievalScoreMetric() {
    return std::make_shared<RetrievalScoreMetric>();
}

}  // namespace attnscope::analysis
