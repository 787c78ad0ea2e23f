#include "attnscope/analysis/circuits/attribution_patching.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>

#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits {
namespace {

// (source − base) ⊙ gradient summed over everything but batch, component and position:
// [batch, component, position] (component 1 for per-layer sites).
at::Tensor attribution(PatchSite site, const at::Tensor& delta, const at::Tensor& grad) {
    const int64_t headDim = siteHeadDim(site), posDim = sitePositionDim(site);
    at::Tensor product = delta * grad;
    std::vector<int64_t> reduce;
    for (int64_t d = 1; d < product.dim(); ++d)
        if (d != headDim && d != posDim) reduce.push_back(d);
    at::Tensor r = product.sum(reduce);  // batch, then head and position in their order
    if (headDim < 0) return r.unsqueeze(1);
    return headDim < posDim ? r : r.transpose(1, 2);
}

}  // namespace

AttributionPatchingResult attributionPatching(capture::TransformerModel& model,
                                              const std::vector<PromptPair>& pairs,
                                              const AttributionPatchingOptions& options,
                                              const capture::Progress& progress) {
    validatePromptPairs(pairs, model.config().vocabSize);
    // Autograd on, whatever the caller's mode: the weights need no gradient, the embeddings'
    // output becomes the leaf every activation's gradient flows back to.
    c10::InferenceMode notInference(false);
    at::AutoGradMode gradients(true);
    const int64_t layers = options.site == PatchSite::Embed ? 1 : model.config().nLayers;
    const int64_t components = siteComponents(model, options.site);
    const bool noising = options.direction == PatchDirection::Noising;
    const bool normalized = options.metric == CircuitMetricKind::NormalizedLogitDiff;
    std::vector<std::string> hooks;
    for (int64_t l = 0; l < layers; ++l)
        hooks.push_back(patchSiteHook(options.site, l));

    const auto batches = stackPromptPairs(pairs, options.maxBatch);
    const bool oneLength = batches.front().clean.size(1) == batches.back().clean.size(1);
    at::Tensor total;        // [layers, components], summed over pairs
    at::Tensor perPosition;  // [layers, components, pos] when one length
    double cleanSum = 0, corruptedSum = 0;
    for (size_t bi = 0; bi < batches.size(); ++bi) {
        progress.check();
        progress.report(static_cast<double>(bi) / static_cast<double>(batches.size()),
                        "attribution patching");
        const PromptBatch& batch = batches[bi];
        HookActivations source;
        at::Tensor sourceLogits;
        {
            at::NoGradGuard noGrad;
            sourceLogits =
                runWithCache(model, noising ? batch.corrupted : batch.clean, hooks, source);
        }
        std::vector<at::Tensor> base(hooks.size());
        at::Tensor logits;
        {
            capture::HookScope scope(model.hooks());
            scope.add("hook_embed", [](at::Tensor& x, const capture::HookContext&) {
                x = x.detach().requires_grad_(true);
            });
            for (size_t l = 0; l < hooks.size(); ++l)
                scope.add(hooks[l],
                          [&base, l](at::Tensor& x, const capture::HookContext&) { base[l] = x; });
            logits = model.forward(noising ? batch.clean : batch.corrupted).select(1, 0);
        }
        const at::Tensor baseLogits = logits.to(at::kFloat);
        const at::Tensor cleanLogits = noising ? baseLogits.detach() : sourceLogits.to(at::kFloat);
        const at::Tensor corruptedLogits =
            noising ? sourceLogits.to(at::kFloat) : baseLogits.detach();
        // The local rows of this batch; KL compares with this batch's clean run.
        PromptBatch local = batch;
        for (int64_t r = 0; r < local.size(); ++r)
            local.pairIndex[static_cast<size_t>(r)] = r;
        CircuitMetric metric;
        metric.kind = normalized ? CircuitMetricKind::LogitDiff : options.metric;
        metric.cleanLogProbs = at::log_softmax(cleanLogits, -1);
        cleanSum += metric.perPair(cleanLogits, local).sum().item<double>();
        corruptedSum += metric.perPair(corruptedLogits, local).sum().item<double>();
        const at::Tensor m = metric.perPair(baseLogits, local).sum();
        const auto grads = torch::autograd::grad({m}, base);
        std::vector<at::Tensor> rows;
        for (size_t l = 0; l < hooks.size(); ++l) {
            const at::Tensor delta =
                source.at(hooks[l]).to(at::kFloat) - base[l].detach().to(at::kFloat);
            rows.push_back(attribution(options.site, delta, grads[l].to(at::kFloat)).sum(0));
        }
        const at::Tensor stacked = at::stack(rows).to(at::kDouble).cpu();  // [L, comp, pos]
        total = total.defined() ? total + stacked.sum(2) : stacked.sum(2);
        if (oneLength) perPosition = perPosition.defined() ? perPosition + stacked : stacked;
    }

    const auto n = static_cast<double>(pairs.size());
    AttributionPatchingResult result;
    result.site = options.site;
    result.direction = options.direction;
    result.clean = cleanSum / n;
    result.corrupted = corruptedSum / n;
    double scale = 1.0 / n;
    if (normalized) {
        scale /= result.clean - result.corrupted;
        result.clean = 1.0;
        result.corrupted = 0.0;
    }
    total = total * scale;
    result.values.assign(static_cast<size_t>(layers), std::vector<double>(components));
    for (int64_t l = 0; l < layers; ++l)
        for (int64_t c = 0; c < components; ++c)
            result.values[l][c] = total[l][c].item<double>();
    if (oneLength) {
        perPosition = perPosition * scale;
        const int64_t positions = perPosition.size(2);
        result.perPosition.assign(static_cast<size_t>(layers), {});
        for (int64_t l = 0; l < layers; ++l)
            for (int64_t c = 0; c < components; ++c) {
                const at::Tensor row = perPosition[l][c].contiguous();
                result.perPosition[l].emplace_back(row.data_ptr<double>(),
                                                   row.data_ptr<double>() + positions);
            }
    }
    progress.report(1.0, "attribution patching done");
    return result;
}

}  // namespace attnscope::analysis::circuits
