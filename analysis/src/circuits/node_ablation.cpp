#include "attnscope/analysis/circuits/node_ablation.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <map>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"
#include "patch_masks.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::InputError;

std::string hookOf(PatchSite site, int64_t layer) {
    return patchSiteHook(site, layer);
}

std::vector<std::string> nodeHooks(int64_t layers) {
    std::vector<std::string> hooks;
    for (int64_t l = 0; l < layers; ++l) {
        hooks.push_back(hookOf(PatchSite::Z, l));
        hooks.push_back(hookOf(PatchSite::MlpOut, l));
    }
    return hooks;
}

}  // namespace

NodeSet complementOf(const capture::TransformerModel& model, const NodeSet& kept) {
    NodeSet out;
    const int64_t L = model.config().nLayers, H = model.config().nHeads;
    for (int64_t l = 0; l < L; ++l) {
        for (int64_t h = 0; h < H; ++h)
            if (std::find(kept.heads.begin(), kept.heads.end(), std::pair{l, h}) ==
                kept.heads.end())
                out.heads.emplace_back(l, h);
        if (std::find(kept.mlps.begin(), kept.mlps.end(), l) == kept.mlps.end())
            out.mlps.push_back(l);
    }
    return out;
}

NodeMeans computeNodeMeans(capture::TransformerModel& model,
                           const std::vector<std::vector<int64_t>>& prompts, bool perPosition) {
    if (prompts.empty()) throw InputError("mean ablation needs reference prompts");
    for (const auto& p : prompts)
        if (perPosition && p.size() != prompts.front().size())
            throw InputError("per-position means need reference prompts of one length (" +
                             std::to_string(prompts.front().size()) + " and " +
                             std::to_string(p.size()) + " tokens given)");
    at::NoGradGuard noGrad;
    const int64_t L = model.config().nLayers;
    const auto hooks = nodeHooks(L);
    std::map<std::string, at::Tensor> sums;
    double count = 0;
    for (const auto& prompt : prompts) {
        HookActivations cache;
        runWithCache(model, detail::idsOf(prompt), hooks, cache);
        for (const auto& h : hooks) {
            // [1, pos, ...] → summed over positions unless kept per position.
            at::Tensor a = cache.at(h)[0].to(at::kFloat);
            if (!perPosition) a = a.sum(0);
            sums[h] = sums.count(h) ? sums[h] + a : a;
        }
        count += perPosition ? 1.0 : static_cast<double>(prompt.size());
    }
    NodeMeans means;
    means.perPosition = perPosition;
    for (int64_t l = 0; l < L; ++l) {
        means.z.push_back(sums.at(hookOf(PatchSite::Z, l)) / count);
        means.mlp.push_back(sums.at(hookOf(PatchSite::MlpOut, l)) / count);
    }
    return means;
}

std::vector<capture::Intervention> nodeAblationInterventions(const capture::TransformerModel& model,
                                                             const NodeSet& nodes,
                                                             capture::AblationMode mode,
                                                             int64_t length, const NodeMeans* means,
                                                             const HookActivations* corrupted) {
    using capture::AblationMode;
    if (mode == AblationMode::Mean && !means) throw InputError("mean ablation needs the means");
    if (mode == AblationMode::Resample && !corrupted)
        throw InputError("resample ablation needs the corrupted run's activations");
    if (means && means->perPosition && means->z.front().size(0) != length)
        throw InputError("per-position means are for " + std::to_string(means->z.front().size(0)) +
                         " tokens, the run has " + std::to_string(length));
    const int64_t L = model.config().nLayers, D = model.config().dModel;
    std::vector<capture::Intervention> out;
    std::map<int64_t, std::vector<int64_t>> headsByLayer;
    for (const auto& [l, h] : nodes.heads)
        headsByLayer[l].push_back(h);
    for (const auto& [l, heads] : headsByLayer) {
        if (mode == AblationMode::Mean) {
            // One intervention per head: each head has its own mean.
            for (int64_t h : heads) {
                if (l < 0 || l >= L || h < 0 || h >= model.config().nHeads)
                    throw InputError("head " + std::to_string(l) + "." + std::to_string(h) +
                                     " does not exist");
                const at::Tensor& z = means->z[static_cast<size_t>(l)];
                capture::HeadAblation a;
                a.layer = l;
                a.heads.push_back(h);
                a.mode = mode;
                a.replacement = means->perPosition ? z.select(1, h) : z.select(0, h);
                out.emplace_back(a);
            }
            continue;
        }
        capture::HeadAblation a;
        a.layer = l;
        a.heads = heads;
        a.mode = mode;
        if (mode == AblationMode::Resample)
            a.replacement = corrupted->at(hookOf(PatchSite::Z, l))[0];
        out.emplace_back(a);
    }
    for (int64_t l : nodes.mlps) {
        if (l < 0 || l >= L)
            throw InputError("MLP " + std::to_string(l) + " does not exist (the model has " +
                             std::to_string(L) + " layers)");
        at::Tensor value;
        if (mode == AblationMode::Zero) value = at::zeros({length, D});
        if (mode == AblationMode::Mean) {
            const at::Tensor& m = means->mlp[static_cast<size_t>(l)];
            value = means->perPosition ? m : m.unsqueeze(0).expand({length, D});
        }
        if (mode == AblationMode::Resample) value = corrupted->at(hookOf(PatchSite::MlpOut, l))[0];
        capture::HookPatch patch;
        patch.hook = hookOf(PatchSite::MlpOut, l);
        patch.value = value;
        out.emplace_back(patch);
    }
    return out;
}

double ablatedMetric(capture::TransformerModel& model, const std::vector<PromptPair>& pairs,
                     const NodeSet& nodes, capture::AblationMode mode, CircuitMetricKind kind,
                     const NodeMeans* means) {
    validatePromptPairs(pairs, model.config().vocabSize);
    at::NoGradGuard noGrad;
    NodeMeans own;
    if (mode == capture::AblationMode::Mean && !means) {
        std::vector<std::vector<int64_t>> prompts;
        for (const auto& p : pairs)
            prompts.push_back(p.clean);
        own = computeNodeMeans(model, prompts, false);
        means = &own;
    }
    const auto hooks = nodeHooks(model.config().nLayers);
    double sum = 0, cleanLd = 0, corruptedLd = 0;
    std::vector<double> values;
    for (size_t i = 0; i < pairs.size(); ++i) {
        const PromptPair& p = pairs[i];
        PromptBatch row;
        row.pairIndex = {0};
        row.answer = at::tensor({p.answer}, at::kLong);
        row.wrong = at::tensor({p.wrong}, at::kLong);
        HookActivations corrupted;
        const at::Tensor corruptedLogits =
            runWithCache(model, detail::idsOf(p.corrupted), hooks, corrupted).to(at::kFloat);
        HookActivations none;
        const at::Tensor cleanLogits =
            runWithCache(model, detail::idsOf(p.clean), {}, none).to(at::kFloat);
        at::Tensor logits;
        {
            capture::HookScope scope(model.hooks());
            capture::applyInterventions(
                scope, model,
                nodeAblationInterventions(model, nodes, mode, static_cast<int64_t>(p.clean.size()),
                                          means, &corrupted));
            logits = model.forward(detail::idsOf(p.clean)).select(1, 0).to(at::kFloat);
        }
        CircuitMetric metric;
        metric.kind =
            kind == CircuitMetricKind::NormalizedLogitDiff ? CircuitMetricKind::LogitDiff : kind;
        metric.cleanLogProbs = at::log_softmax(cleanLogits, -1);
        values.push_back(metric.perPair(logits, row).item<double>());
        cleanLd += logitDifference(cleanLogits, row.answer, row.wrong).item<double>();
        corruptedLd += logitDifference(corruptedLogits, row.answer, row.wrong).item<double>();
    }
    for (double v : values)
        sum += v;
    const auto n = static_cast<double>(pairs.size());
    if (kind == CircuitMetricKind::NormalizedLogitDiff) {
        const double span = (cleanLd - corruptedLd) / n;
        if (span == 0.0) throw InputError("normalised logit difference: clean equals corrupted");
        return (sum / n - corruptedLd / n) / span;
    }
    return sum / n;
}

double nodeCircuitFaithfulness(capture::TransformerModel& model,
                               const std::vector<PromptPair>& pairs, const NodeSet& kept,
                               capture::AblationMode mode, CircuitMetricKind metric,
                               const NodeMeans* means) {
    const double full = ablatedMetric(model, pairs, NodeSet{}, mode, metric, means);
    if (full == 0.0) throw InputError("faithfulness: the full model's metric is 0");
    return ablatedMetric(model, pairs, complementOf(model, kept), mode, metric, means) / full;
}

}  // namespace attnscope::analysis::circuits
