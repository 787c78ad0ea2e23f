#include "prompt_patterns.h"

#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {

std::vector<int64_t> itemIds(const MetricContext& ctx, const DataItem& item, int64_t maxTokens) {
    std::vector<int64_t> ids;
    if (item.fields.contains("ids")) {
        ids = item.fields.at("ids").get<std::vector<int64_t>>();
    } else {
        if (!ctx.tokenizer)
            throw capture::InputError(
                "the model has no tokenizer: give items with an \"ids\" field");
        ids = ctx.tokenizer->encode(item.text).ids;
    }
    if (maxTokens > 0 && static_cast<int64_t>(ids.size()) > maxTokens) ids.resize(maxTokens);
    return ids;
}

void forEachPromptPatterns(
    const MetricContext& ctx, int64_t maxTokens,
    const std::function<void(std::size_t, const std::vector<at::Tensor>&)>& fn) {
    if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
    at::NoGradGuard noGrad;
    auto& model = ctx.model;
    const int64_t layers = model.config().nLayers;
    for (std::size_t i = 0; i < ctx.data.items.size(); ++i) {
        ctx.progress.check();
        const auto ids = itemIds(ctx, ctx.data.items[i], maxTokens);
        if (ids.empty()) continue;
        capture::ActivationCache cache;
        {
            capture::HookScope scope(model.hooks());
            capture::CaptureSpec spec;
            spec.hooks = {"blocks.*.attn.hook_pattern"};
            capture::attachCapture(scope, model.hooks(), spec, cache);
            model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
        }
        std::vector<at::Tensor> patterns;
        for (int64_t l = 0; l < layers; ++l)
            patterns.push_back(cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern")[0]);
        fn(i, patterns);
        ctx.report(
            double(i + 1) / double(ctx.data.items.size()),
            "prompt " + std::to_string(i + 1) + " of " + std::to_string(ctx.data.items.size()));
    }
}

AttentionMap toAttentionMap(const at::Tensor& headPattern) {
    const at::Tensor p = headPattern.to(at::kCPU, at::kFloat).contiguous();
    const int64_t rows = p.size(0), cols = p.size(1);
    AttentionMap m(rows, cols);
    const float* data = p.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            m(r, c) = data[r * cols + c];
    return m;
}

void HeadTableMean::add(const HeadTable& t) {
    for (std::size_t i = 0; i < t.values.size(); ++i)
        m_sum.values[i] += t.values[i];
    ++m_count;
}

HeadTable HeadTableMean::mean() const {
    HeadTable out = m_sum;
    for (double& v : out.values)
        v = m_count > 0 ? v / m_count : std::numeric_limits<double>::quiet_NaN();
    return out;
}

}  // namespace attnscope::analysis
