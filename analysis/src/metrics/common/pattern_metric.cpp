#include "pattern_metric.h"

#include "attnscope/capture/transformer_model.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class PatternMetric : public Metric {
public:
    PatternMetric(MetricInfo info, HeadMapScore score, ResultFinisher finish)
        : m_info(std::move(info)), m_score(std::move(score)), m_finish(std::move(finish)) {}
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& params) const override {
        const auto& c = ctx.model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        HeadTableMean mean(layers, heads);
        MetricResult result;
        nlohmann::json perItem = nlohmann::json::array();
        forEachPromptPatterns(ctx, params.integer("max_tokens"),
                              [&](std::size_t, const std::vector<at::Tensor>& maps) {
                                  HeadTable table(layers, heads);
                                  for (int l = 0; l < layers; ++l)
                                      for (int h = 0; h < heads; ++h)
                                          table.at(l, h) =
                                              m_score(toAttentionMap(maps[l][h]), params);
                                  mean.add(table);
                                  perItem.push_back(table.values);
                              });
        result.scores = mean.mean();
        result.details["per_item"] = perItem;
        if (m_finish) m_finish(result, params);
        return result;
    }

private:
    MetricInfo m_info;
    HeadMapScore m_score;
    ResultFinisher m_finish;
};

}  // namespace

std::shared_ptr<const Metric> makePatternMetric(MetricInfo info, HeadMapScore score,
                                                ResultFinisher finish) {
    return std::make_shared<PatternMetric>(std::move(info), std::move(score), std::move(finish));
}

ParamSpec maxTokensParam(int64_t defaultValue) {
    return {"max_tokens", ParamType::Integer, std::to_string(defaultValue),
            "prompts are truncated to this many tokens (0: no limit)", false};
}

}  // namespace attnscope::analysis
