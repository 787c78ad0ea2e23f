// §7.4 VHD adapted to text: how much each head's output at the generation position depends on
// the context.
#include "attnscope/analysis/vhd.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "builtin_metrics.h"
#include "item_capture.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {
namespace {

// Ids of the two branches: BOS + context + prompt (+ continuation) and BOS + prompt (+ ...).
std::pair<std::vector<int64_t>, std::vector<int64_t>> branches(const MetricContext& ctx,
                                                               const DataItem& item,
                                                               std::size_t index) {
    const auto& f = item.fields;
    if (f.contains("prompt_ids")) {
        auto prompt = f.at("prompt_ids").get<std::vector<int64_t>>();
        const auto context = f.value("context_ids", std::vector<int64_t>{});
        const auto cont = f.value("continuation_ids", std::vector<int64_t>{});
        prompt.insert(prompt.end(), cont.begin(), cont.end());
        std::vector<int64_t> with = context;
        with.insert(with.end(), prompt.begin(), prompt.end());
        return {with, prompt};
    }
    if (!f.contains("context") || !f.contains("prompt"))
        throw capture::InputError("VHD item " + std::to_string(index + 1) +
                                  " needs \"context\" and \"prompt\" fields (or *_ids)");
    if (!ctx.tokenizer) throw capture::InputError("VHD text items need the model's tokenizer");
    std::string prompt = f.at("prompt").get<std::string>();
    if (f.contains("continuation")) prompt += " " + f.at("continuation").get<std::string>();
    const std::string with = f.at("context").get<std::string>() + " " + prompt;
    return {ctx.tokenizer->encode(with).ids, ctx.tokenizer->encode(prompt).ids};
}

class VhdMetric : public Metric {
public:
    VhdMetric() {
        m_info.name = "vhd";
        m_info.title = "Context-aware head divergence (VHD, text adaptation)";
        m_info.description =
            "‖o_{l,h} with the context − o_{l,h} without it‖₂ at the last position (mean over "
            "items); details give T-VHD, the mean of the top-k heads, per item";
        m_info.citation =
            "spec §7.4 (He et al. ACL'25, paper only); o vs z, L2 and k "
            "[UNVERIFIED]";
        m_info.hooks = {"blocks.*.attn.hook_result", "blocks.*.attn.hook_z"};
        m_info.params = {
            {"component", ParamType::Text, "o", "o (post-W_O head output) or z", true},
            {"top_fraction", ParamType::Real, "0.05", "k of T-VHD as a fraction of heads", true}};
    }
    const MetricInfo& info() const override { return m_info; }

    MetricResult compute(const MetricContext& ctx, const MetricParams& p) const override {
        auto& model = ctx.model;
        const auto& c = model.config();
        const int layers = static_cast<int>(c.nLayers), heads = static_cast<int>(c.nHeads);
        const std::string comp = p.text("component");
        if (comp != "o" && comp != "z")
            throw capture::InputError("component must be o or z, got '" + comp + "'");
        const std::string hook = comp == "o" ? "attn.hook_result" : "attn.hook_z";
        if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
        const int k = vhdDefaultTopK(layers * heads, p.real("top_fraction"));
        at::NoGradGuard noGrad;
        // Last-position outputs [layer] → [head, width].
        auto lastOutputs = [&](const std::vector<int64_t>& ids) {
            capture::ActivationCache cache;
            {
                capture::HookScope scope(model.hooks());
                capture::CaptureSpec spec;
                spec.hooks = {"blocks.*." + hook};
                spec.positions = {static_cast<int64_t>(ids.size()) - 1};
                capture::attachCapture(scope, model.hooks(), spec, cache);
                model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
            }
            std::vector<Eigen::MatrixXf> out;
            for (int l = 0; l < layers; ++l)
                out.push_back(toAttentionMap(cache.get(layerHookName(l, hook))[0][-1]));
            return out;
        };
        HeadTableMean mean(layers, heads);
        std::vector<double> tvhd;
        MetricResult r;
        for (std::size_t i = 0; i < ctx.data.items.size(); ++i) {
            ctx.progress.check();
            const auto [with, without] = branches(ctx, ctx.data.items[i], i);
            if (with.empty() || without.empty())
                throw capture::InputError("VHD item " + std::to_string(i + 1) + " is empty");
            const HeadTable v = vhdDistances(lastOutputs(with), lastOutputs(without));
            mean.add(v);
            tvhd.push_back(tVhd(v, k));
            ctx.report(double(i + 1) / double(ctx.data.items.size()), "vhd");
        }
        r.scores = mean.mean();
        r.details["t_vhd"] = tvhd;
        r.details["k"] = k;
        return r;
    }

private:
    MetricInfo m_info;
};

}  // namespace

std::shared_ptr<const Metric> makeVhdMetric() {
    return std::make_shared<VhdMetric>();
}

}  // namespace attnscope::analysis
