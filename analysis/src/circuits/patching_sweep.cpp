// The activation patching sweep over every component of one site (issue 13).
#include <ATen/ATen.h>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/capture/transformer_model.h"
#include "patch_masks.h"

namespace attnscope::analysis::circuits {
namespace {

// One pair's rows (repeated `rows` times) as a batch the metric understands.
PromptBatch pairRows(const PromptPair& pair, int64_t index, int64_t rows) {
    PromptBatch b;
    b.pairIndex.assign(static_cast<size_t>(rows), index);
    b.answer = at::full({rows}, pair.answer, at::kLong);
    b.wrong = at::full({rows}, pair.wrong, at::kLong);
    return b;
}

}  // namespace

PatchingResult activationPatchingSweep(capture::TransformerModel& model,
                                       const std::vector<PromptPair>& pairs,
                                       const PatchingOptions& options,
                                       const capture::Progress& progress) {
    validatePromptPairs(pairs, model.config().vocabSize);
    at::NoGradGuard noGrad;
    const int64_t layers = model.config().nLayers;
    const int64_t components = siteComponents(model, options.site);
    const bool noising = options.direction == PatchDirection::Noising;
    std::vector<std::string> hooks;
    for (int64_t l = 0; l < (options.site == PatchSite::Embed ? 1 : layers); ++l)
        hooks.push_back(patchSiteHook(options.site, l));

    PatchingResult result;
    result.site = options.site;
    result.direction = options.direction;
    result.metric = options.metric;
    const auto n = static_cast<int64_t>(pairs.size());

    // The unpatched runs: baselines of the metric, and the source activations of each pair.
    std::vector<HookActivations> sources(pairs.size());
    std::vector<at::Tensor> clean, corrupted;
    for (int64_t i = 0; i < n; ++i) {
        progress.check();
        const PromptPair& p = pairs[static_cast<size_t>(i)];
        HookActivations cleanCache, corruptedCache;
        clean.push_back(runWithCache(model, detail::idsOf(p.clean),
                                     noising ? std::vector<std::string>{} : hooks, cleanCache));
        corrupted.push_back(runWithCache(model, detail::idsOf(p.corrupted),
                                         noising ? hooks : std::vector<std::string>{},
                                         corruptedCache));
        sources[static_cast<size_t>(i)] = noising ? corruptedCache : cleanCache;
        result.forwards += 2;
    }
    const at::Tensor cleanLogits = at::cat(clean, 0).to(at::kFloat);          // [pairs, vocab]
    const at::Tensor corruptedLogits = at::cat(corrupted, 0).to(at::kFloat);  // [pairs, vocab]
    PromptBatch everyPair;
    for (int64_t i = 0; i < n; ++i)
        everyPair.pairIndex.push_back(i);
    everyPair.answer = at::empty({n}, at::kLong);
    everyPair.wrong = at::empty({n}, at::kLong);
    for (int64_t i = 0; i < n; ++i) {
        everyPair.answer[i] = pairs[static_cast<size_t>(i)].answer;
        everyPair.wrong[i] = pairs[static_cast<size_t>(i)].wrong;
    }
    CircuitMetric metric;
    metric.kind = options.metric;
    metric.cleanLogProbs = at::log_softmax(cleanLogits, -1);
    metric.cleanLogitDiff =
        logitDifference(cleanLogits, everyPair.answer, everyPair.wrong).mean().item<double>();
    metric.corruptedLogitDiff =
        logitDifference(corruptedLogits, everyPair.answer, everyPair.wrong).mean().item<double>();
    result.clean = metric.perPair(cleanLogits, everyPair).mean().item<double>();
    result.corrupted = metric.perPair(corruptedLogits, everyPair).mean().item<double>();

    std::vector<std::vector<PatchTarget>> variants;
    for (int64_t l = 0; l < static_cast<int64_t>(hooks.size()); ++l)
        for (int64_t c = 0; c < components; ++c) {
            PatchTarget t{options.site, l, {}, options.positions};
            if (isPerHeadSite(options.site)) t.heads = {c};
            variants.push_back({t});
        }
    const auto rows = static_cast<int64_t>(variants.size());

    at::Tensor sum = at::zeros({rows}, at::kDouble);
    for (int64_t i = 0; i < n; ++i) {
        progress.check();
        progress.report(static_cast<double>(i) / static_cast<double>(n),
                        "patching pair " + std::to_string(i + 1) + " of " + std::to_string(n));
        const PromptPair& p = pairs[static_cast<size_t>(i)];
        const at::Tensor logits =
            runPatchedVariants(model, detail::idsOf(noising ? p.clean : p.corrupted),
                               sources[static_cast<size_t>(i)], variants, options.maxBatch);
        sum += metric.perPair(logits.to(at::kFloat), pairRows(p, i, rows)).to(at::kDouble).cpu();
        const int64_t chunk = detail::variantsPerForward(
            options.maxBatch, static_cast<int64_t>(p.clean.size()), rows);
        result.forwards += (rows + chunk - 1) / chunk;
    }
    sum /= static_cast<double>(n);
    result.values.assign(static_cast<size_t>(hooks.size()), {});
    for (int64_t r = 0; r < rows; ++r)
        result.values[static_cast<size_t>(r / components)].push_back(sum[r].item<double>());
    progress.report(1.0, "patching done");
    return result;
}

}  // namespace attnscope::analysis::circuits
