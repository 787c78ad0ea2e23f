// §4.4 active/dormant flips: BOS attention at ordinary tokens against trigger tokens.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "attnscope/analysis/active_dormant_flip.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "pattern_metric.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

class ActiveDormantFlipMetric : public Metric {
public:
    ActiveDormantFlipMetric() {
        m_info.name = "active_dormant_flip";
        m_info.title = "Active/dormant flips at trigger tokens";
        m_info.description =
            "mean BOS attention at ordinary queries minus at trigger queries (positive: dormant "
            "on ordinary tokens, active on triggers); triggers come from the item's \"triggers\" "
            "positions (BOS = 0) or from the trigger_words parameter";
        m_info.citation = "spec §4.4 (Guo et al., Bigram-Backcopy); flip thresholds [UNVERIFIED]";
        m_info.hooks = {"blocks.*.attn.hook_pattern"};
        m_info.params = {
            {"trigger_words", ParamType::Text, "",
             "comma-separated trigger tokens, used for items without \"triggers\"", false},
            {"flip_high", ParamType::Real, "0.5", "dormant on ordinary tokens: BOS mass >= this",
             true},
            {"flip_low", ParamType::Real, "0.2", "active on triggers: BOS mass < this", true},
            maxTokensParam(0)};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        const auto& c = ctx.model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        std::vector<int64_t> triggerIds;
        std::stringstream words(p.text("trigger_words"));
        for (std::string w; std::getline(words, w, ',');) {
            if (w.empty()) continue;
            const auto id = ctx.tokenizer ? ctx.tokenizer->tokenToId(w) : std::nullopt;
            if (!id) throw capture::InputError("trigger word '" + w + "' is not in the vocabulary");
            triggerIds.push_back(*id);
        }
        // Sums over all items of BOS mass x query count, so the means weight every query.
        std::vector<double> ordSum(static_cast<std::size_t>(layers * heads), 0.0),
            trigSum(ordSum.size(), 0.0);
        double ordCount = 0, trigCount = 0;
        MetricResult r;
        forEachPromptPatterns(
            ctx, p.integer("max_tokens"), [&](std::size_t i, const std::vector<at::Tensor>& maps) {
                const auto& item = ctx.data.items[i];
                const auto ids = itemIds(ctx, item, p.integer("max_tokens"));
                std::vector<int> triggers;
                if (item.fields.contains("triggers")) {
                    for (int q : item.fields.at("triggers").get<std::vector<int>>())
                        if (q < static_cast<int>(ids.size())) triggers.push_back(q);
                } else {
                    for (std::size_t q = 1; q < ids.size(); ++q)
                        if (std::find(triggerIds.begin(), triggerIds.end(), ids[q]) !=
                            triggerIds.end())
                            triggers.push_back(static_cast<int>(q));
                }
                BosMassByKind m;
                for (int l = 0; l < layers; ++l)
                    for (int h = 0; h < heads; ++h) {
                        m = bosMassByQueryKind(toAttentionMap(maps[l][h]), triggers);
                        const auto k = static_cast<std::size_t>(l * heads + h);
                        if (m.ordinaryCount) ordSum[k] += m.ordinary * m.ordinaryCount;
                        if (m.triggerCount) trigSum[k] += m.trigger * m.triggerCount;
                    }
                ordCount += m.ordinaryCount;
                trigCount += m.triggerCount;
            });
        if (trigCount == 0)
            throw capture::InputError(
                "no trigger position found: give items a \"triggers\" field or set trigger_words");
        HeadTable ordinary(layers, heads), trigger(layers, heads);
        r.scores = HeadTable(layers, heads);
        nlohmann::json flipped = nlohmann::json::array();
        for (int l = 0; l < layers; ++l)
            for (int h = 0; h < heads; ++h) {
                const auto k = static_cast<std::size_t>(l * heads + h);
                BosMassByKind m;
                m.ordinary = ordCount > 0 ? ordSum[k] / ordCount : std::nan("");
                m.trigger = trigSum[k] / trigCount;
                ordinary.at(l, h) = m.ordinary;
                trigger.at(l, h) = m.trigger;
                r.scores.at(l, h) = m.ordinary - m.trigger;
                if (isActiveDormantFlip(m, p.real("flip_high"), p.real("flip_low")))
                    flipped.push_back("L" + std::to_string(l) + "H" + std::to_string(h));
            }
        r.details["bos_mass_ordinary"] = ordinary.values;
        r.details["bos_mass_trigger"] = trigger.values;
        r.details["flipped_heads"] = flipped;
        r.details["trigger_queries"] = trigCount;
        r.details["ordinary_queries"] = ordCount;
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeActiveDormantFlipMetric() {
    return std::make_shared<ActiveDormantFlipMetric>();
}

}  // namespace attnscope::analysis
