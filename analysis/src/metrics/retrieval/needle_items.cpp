#include "needle_items.h"

#include <algorithm>
#include <cmath>

#include "attnscope/analysis/needle_haystack.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

std::string idsText(const std::vector<int64_t>& ids) {
    std::string s;
    for (int64_t id : ids)
        s += (s.empty() ? "" : " ") + std::to_string(id);
    return s;
}

// What a needle item can hold, for messages.
constexpr const char* kNeedleItemHelp =
    "a prompt item needs \"answer\" (the text the model should retrieve; \"needle\": its span "
    "in the prompt, default the answer), a haystack item {\"needle\", \"question\", "
    "\"real_needle\", \"haystack\"}; plain prompts without these become the haystack of a "
    "generated grid";

std::string textField(const nlohmann::json& f, const char* name, std::size_t item) {
    if (!f.contains(name) || !f.at(name).is_string())
        throw capture::InputError("needle item " + std::to_string(item + 1) +
                                  " needs a text field \"" + name + "\" (" + kNeedleItemHelp + ")");
    return f.at(name).get<std::string>();
}

// Whether an item says anything about a needle (else it is a plain prompt).
bool hasNeedleFields(const DataItem& item) {
    for (const char* key : {"haystack", "answer", "real_needle", "needle", "answer_ids",
                            "real_needle_ids", "needle_ids"})
        if (item.fields.contains(key)) return true;
    return false;
}

// Plain prompts (typed in the window, or a text file) as one needle case: the classic needle
// and question inserted into their concatenated text.
NeedleCase haystackFromPrompts(const Dataset& data) {
    NeedleCase c;
    c.needle = kDefaultNeedle;
    c.question = kDefaultNeedleQuestion;
    c.realNeedle = kDefaultNeedle;
    for (const DataItem& item : data.items)
        c.haystack += (c.haystack.empty() ? "" : " ") + item.text;
    return c;
}

NeedleInstance promptInstance(const MetricContext& ctx, const DataItem& item, std::size_t index) {
    const auto& f = item.fields;
    NeedleInstance inst;
    inst.ids = itemIds(ctx, item, 0);
    std::vector<int64_t> needleIds;
    if (f.contains("real_needle_ids") || f.contains("answer_ids")) {
        const auto ref = f.value("real_needle_ids", f.value("answer_ids", nlohmann::json::array()))
                             .get<std::vector<int64_t>>();
        inst.realNeedle = idsText(ref);
        needleIds = f.contains("needle_ids") ? f.at("needle_ids").get<std::vector<int64_t>>() : ref;
    } else {
        if (!ctx.tokenizer)
            throw capture::InputError(
                "needle item " + std::to_string(index + 1) +
                ": without a tokenizer give \"real_needle_ids\" (and optionally \"needle_ids\")");
        inst.realNeedle = f.contains("real_needle") ? textField(f, "real_needle", index)
                                                    : textField(f, "answer", index);
        const std::string span =
            f.contains("needle") ? textField(f, "needle", index) : inst.realNeedle;
        needleIds = ctx.tokenizer->encode(span, false).ids;
    }
    if (needleIds.empty())
        throw capture::InputError("needle item " + std::to_string(index + 1) +
                                  " has an empty needle");
    inst.span = findNeedleSpan(std::vector<int>(inst.ids.begin(), inst.ids.end()),
                               std::vector<int>(needleIds.begin(), needleIds.end()));
    inst.length = f.value("prompt_tokens", static_cast<long long>(inst.ids.size()));
    inst.depth = f.contains("depth") ? std::llround(100.0 * f.at("depth").get<double>()) : 0;
    return inst;
}

}  // namespace

std::vector<ParamSpec> needleParams() {
    return {
        {"min_length", ParamType::Integer, "0", "shortest context length in tokens (RH --s)",
         false},
        {"max_length", ParamType::Integer, "0",
         "longest context length (RH --e; 0: min(5000, model context - max_new_tokens - 64))",
         false},
        {"length_count", ParamType::Integer, "20", "context lengths in the grid (RH: 20)", false},
        {"depth_count", ParamType::Integer, "10", "needle depths 0..100% (RH: 10)", false},
        {"context_buffer", ParamType::Integer, "200",
         "final_context_length_buffer: contexts are cut to length - buffer (use ~0 for "
         "short-context models)",
         false},
        {"template", ParamType::Text, kRetrievalPromptTemplate,
         "prompt with {context} and {question} (an item's \"template\" field wins)", false},
        {"max_new_tokens", ParamType::Integer, "50", "greedy decoding steps (RH: 50)", false},
        {"stop_tokens", ParamType::Text, "eos,newline",
         "comma-separated: eos, newline, ids or vocabulary tokens (RH: '<0x0A>' and id 144)",
         false},
        {"compat_reference", ParamType::Boolean, "false",
         "reproduce the reference quirks (BOS inside the context; random heads not excluding the "
         "top set)",
         false},
    };
}

NeedleSetup needleSetup(const MetricContext& ctx, const MetricParams& p) {
    if (ctx.data.items.empty())
        throw capture::InputError(
            "the dataset has no items: give needle items {\"needle\", \"question\", "
            "\"real_needle\", \"haystack\"} or prompts with \"answer\"/\"needle\" fields (e.g. "
            "the demo model's eval/needle.jsonl)");
    const auto& c = ctx.model.config();
    NeedleSetup s;
    s.decode.maxNewTokens = p.integer("max_new_tokens");
    if (s.decode.maxNewTokens < 1) throw capture::InputError("max_new_tokens must be >= 1");
    s.decode.stopTokens = parseStopTokens(p.text("stop_tokens"), ctx.model, ctx.tokenizer);

    std::vector<NeedleCase> cases;
    const bool plain = std::none_of(ctx.data.items.begin(), ctx.data.items.end(), hasNeedleFields);
    if (plain) {
        if (!ctx.tokenizer)
            throw capture::InputError(
                "plain token-id prompts carry no needle: give needle items (" +
                std::string(kNeedleItemHelp) + "; without a tokenizer \"real_needle_ids\")");
        cases.push_back(haystackFromPrompts(ctx.data));
        s.generatedFrom = "the dataset's " + std::to_string(ctx.data.items.size()) +
                          " prompts as the haystack, with the default needle \"" +
                          std::string(kDefaultNeedle) + "\"";
    }
    for (std::size_t i = 0; i < ctx.data.items.size() && !plain; ++i) {
        const auto& item = ctx.data.items[i];
        if (!item.fields.contains("haystack")) {
            s.instances.push_back(promptInstance(ctx, item, i));
            continue;
        }
        NeedleCase nc;
        nc.needle = textField(item.fields, "needle", i);
        nc.question = textField(item.fields, "question", i);
        nc.realNeedle = textField(item.fields, "real_needle", i);
        nc.haystack = textField(item.fields, "haystack", i);
        nc.promptTemplate = item.fields.value("template", p.text("template"));
        cases.push_back(nc);
    }
    if (!cases.empty()) {
        if (!ctx.tokenizer) throw capture::InputError("haystack items need the model's tokenizer");
        long long maxLen = p.integer("max_length");
        if (maxLen <= 0)
            maxLen = std::min<long long>(5000, c.maxPositions - s.decode.maxNewTokens - 64);
        const long long minLen = p.integer("min_length");
        if (minLen < 0 || minLen > maxLen)
            throw capture::InputError("min_length must lie in 0..max_length (" +
                                      std::to_string(maxLen) + ")");
        const auto lc = p.integer("length_count"), dc = p.integer("depth_count");
        if (lc < 1 || dc < 1)
            throw capture::InputError("length_count and depth_count must be >= 1");
        s.lengths = contextLengthGrid(minLen, maxLen, static_cast<int>(lc));
        s.depths = depthGrid(0.0, 100.0, static_cast<int>(dc));
        NeedlePromptOptions po;
        po.buffer = p.integer("context_buffer");
        po.compatReference = p.boolean("compat_reference");
        auto grid = buildNeedleGrid(*ctx.tokenizer, cases, s.lengths, s.depths, po);
        s.instances.insert(s.instances.end(), grid.begin(), grid.end());
    }
    return s;
}

nlohmann::json recallGridJson(const RecallGrid& g) {
    auto num = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t l = 0; l < g.lengths.size(); ++l) {
        nlohmann::json r = nlohmann::json::array();
        for (std::size_t d = 0; d < g.depths.size(); ++d)
            r.push_back(num(g.recall[l * g.depths.size() + d]));
        rows.push_back(r);
    }
    return {{"lengths", g.lengths},
            {"depths", g.depths},
            {"recall", rows},
            {"per_instance", g.perInstance},
            {"mean_recall", num(g.meanRecall)}};
}

nlohmann::json headLabels(const std::vector<HeadId>& heads) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : heads)
        out.push_back("L" + std::to_string(h.layer) + "H" + std::to_string(h.head));
    return out;
}

}  // namespace attnscope::analysis
