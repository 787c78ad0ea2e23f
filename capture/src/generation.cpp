#include "attnscope/capture/generation.h"

#include <ATen/ATen.h>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::capture {
namespace {

at::Tensor chooseTokens(const at::Tensor& logits, const GenerationOptions& o, at::Generator& gen) {
    // logits [batch, vocab]
    if (o.greedy) return logits.argmax(-1);
    at::Tensor scaled = logits / std::max(o.temperature, 1e-6);
    if (o.topK > 0 && o.topK < scaled.size(-1)) {
        auto [values, indices] = scaled.topk(o.topK, -1);
        auto choice = at::multinomial(at::softmax(values, -1), 1, false, gen);
        return indices.gather(-1, choice).squeeze(-1);
    }
    return at::multinomial(at::softmax(scaled, -1), 1, false, gen).squeeze(-1);
}

}  // namespace

GenerationResult generate(TransformerModel& model, const at::Tensor& promptIds,
                          const GenerationOptions& o, const StepCallback& onStep) {
    if (promptIds.dim() != 2) throw InputError("prompt ids must be [batch, pos]");
    const int64_t batch = promptIds.size(0), promptLen = promptIds.size(1);
    if (promptLen + o.maxNewTokens - 1 > model.config().maxPositions)
        throw InputError("prompt of " + std::to_string(promptLen) + " tokens plus " +
                         std::to_string(o.maxNewTokens) + " new tokens exceeds the context of " +
                         std::to_string(model.config().maxPositions));
    at::NoGradGuard noGrad;
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    KvCache cache(model.config().nLayers);
    ForwardOptions fo;
    if (o.useCache) fo.cache = &cache;

    GenerationResult result;
    std::vector<at::Tensor> chosen;
    at::Tensor finished = at::zeros({batch}, at::TensorOptions().dtype(at::kBool));
    at::Tensor stops = at::tensor(o.stopTokens, at::TensorOptions().dtype(at::kLong));
    at::Tensor sequence = promptIds;
    at::Tensor next = promptIds;
    for (int64_t step = 0; step < o.maxNewTokens; ++step) {
        o.progress.check();
        at::Tensor logits =
            model.forward(o.useCache ? next : sequence, fo).select(1, -1).to(at::kCPU);
        at::Tensor tokens = chooseTokens(logits, o, gen).to(at::kLong);
        if (!chosen.empty()) tokens = at::where(finished, chosen.back(), tokens);
        chosen.push_back(tokens);
        result.stepLogits.push_back(logits);
        if (stops.numel() > 0) finished = finished.logical_or(at::isin(tokens, stops));
        o.progress.report(static_cast<double>(step + 1) / static_cast<double>(o.maxNewTokens),
                          "generating");
        if (onStep && !onStep(step, tokens, logits)) break;
        if (finished.all().item<bool>()) break;
        next = tokens.unsqueeze(1);
        if (!o.useCache) sequence = at::cat({sequence, next.to(sequence.device())}, 1);
    }
    result.tokens = chosen.empty() ? at::empty({batch, 0}, at::TensorOptions().dtype(at::kLong))
                                   : at::stack(chosen, 1);
    return result;
}

}  // namespace attnscope::capture
