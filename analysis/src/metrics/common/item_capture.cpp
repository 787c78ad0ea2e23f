#include "item_capture.h"

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "prompt_patterns.h"

namespace attnscope::analysis {

void forEachItemCapture(const MetricContext& ctx, const std::vector<std::string>& hooks,
                        int64_t maxTokens, std::size_t minTokens,
                        const std::function<void(std::size_t, const std::vector<int64_t>&,
                                                 const capture::ActivationCache&)>& fn) {
    if (ctx.data.items.empty()) throw capture::InputError("the dataset has no items");
    at::NoGradGuard noGrad;
    auto& model = ctx.model;
    const std::size_t n = ctx.data.items.size();
    for (std::size_t i = 0; i < n; ++i) {
        ctx.progress.check();
        const auto ids = itemIds(ctx, ctx.data.items[i], maxTokens);
        if (ids.size() < std::max<std::size_t>(minTokens, 1)) continue;
        capture::ActivationCache cache;
        {
            capture::HookScope scope(model.hooks());
            capture::CaptureSpec spec;
            spec.hooks = hooks;
            capture::attachCapture(scope, model.hooks(), spec, cache);
            model.forward(at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0));
        }
        fn(i, ids, cache);
        ctx.report(double(i + 1) / double(n),
                   "prompt " + std::to_string(i + 1) + " of " + std::to_string(n));
    }
}

std::string layerHookName(int64_t layer, const std::string& suffix) {
    return "blocks." + std::to_string(layer) + "." + suffix;
}

}  // namespace attnscope::analysis
