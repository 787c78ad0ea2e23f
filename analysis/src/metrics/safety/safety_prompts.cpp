#include "safety_prompts.h"

#include "attnscope/capture/load_error.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {

bool isBenignItem(const DataItem& item) {
    const auto it = item.fields.find("harmful");
    return it != item.fields.end() && it->is_boolean() && !it->get<bool>();
}

std::vector<std::vector<int64_t>> safetyPromptIds(const MetricContext& ctx, bool harmfulOnly,
                                                  bool useTemplate, const std::string& prefix,
                                                  const std::string& suffix, int64_t maxTokens) {
    if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
    std::vector<std::vector<int64_t>> out;
    for (const DataItem& item : ctx.data.items) {
        if (harmfulOnly && isBenignItem(item)) continue;
        if (!useTemplate) {
            out.push_back(itemIds(ctx, item, maxTokens));
        } else {
            if (item.fields.contains("ids"))
                throw capture::InputError(
                    "use_template needs text items; this dataset gives token ids: set "
                    "use_template=false");
            DataItem templated = item;
            templated.text = prefix + item.text + suffix;
            out.push_back(itemIds(ctx, templated, maxTokens));
        }
        if (out.back().empty()) out.pop_back();
    }
    if (out.empty())
        throw capture::InputError(harmfulOnly ? "the dataset has no harmful (non-empty) items"
                                              : "the dataset has no non-empty items");
    return out;
}

std::vector<ParamSpec> ablationParams(const std::string& epsilon) {
    return {
        {"mask_qkv", ParamType::Text, "q",
         "what is ablated: q (query, attention becomes uniform), k (key of a KV head: the table "
         "is then [layer, kv_head]) or v (head output z)",
         false},
        {"mask_type", ParamType::Text, "scale",
         "scale: multiply by epsilon; mean: replace with the mean over heads at the position",
         false},
        {"epsilon", ParamType::Real, epsilon, "scale factor of the scale mask", false},
        {"batch_size", ParamType::Integer, "16", "ablated variants per batched forward", false},
        {"harmful_only", ParamType::Boolean, "true", "skip items whose \"harmful\" field is false",
         false},
        {"max_tokens", ParamType::Integer, "0",
         "prompts are truncated to this many tokens (0: no limit)", false},
    };
}

AblationSpec ablationSpecOf(const MetricParams& params) {
    AblationSpec spec;
    spec.target = parseMaskTarget(params.text("mask_qkv"));
    spec.type = parseMaskType(params.text("mask_type"));
    spec.epsilon = params.real("epsilon");
    return spec;
}

int64_t batchSizeOf(const MetricParams& params) {
    const int64_t b = params.integer("batch_size");
    if (b < 1) throw capture::InputError("batch_size must be at least 1, got " + std::to_string(b));
    return b;
}

nlohmann::json headList(const std::vector<HeadId>& heads, const HeadTable& values) {
    nlohmann::json out = nlohmann::json::array();
    for (const HeadId& h : heads)
        out.push_back({{"layer", h.layer}, {"head", h.head}, {"value", values.at(h)}});
    return out;
}

}  // namespace attnscope::analysis
