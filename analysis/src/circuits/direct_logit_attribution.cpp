#include "attnscope/analysis/circuits/direct_logit_attribution.h"

#include <ATen/ATen.h>

#include "attnscope/analysis/circuits/activation_patching.h"
#include "attnscope/analysis/circuits/circuit_metric.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits {
namespace {

std::vector<double> toVector(const at::Tensor& t) {
    const at::Tensor c = t.to(at::kDouble).cpu().contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

DirectLogitAttribution directLogitAttribution(capture::TransformerModel& model,
                                              const std::vector<PromptPair>& pairs,
                                              const capture::Progress& progress) {
    validatePromptPairs(pairs, model.config().vocabSize);
    at::NoGradGuard noGrad;
    const auto& config = model.config();
    const int64_t L = config.nLayers;
    const bool layerNorm = config.norm == capture::NormKind::LayerNorm;
    const bool learned = config.positions == capture::PositionKind::Learned;
    std::vector<std::string> hooks{"hook_embed"};
    if (learned) hooks.push_back("hook_pos_embed");
    for (int64_t l = 0; l < L; ++l)
        for (const char* h : {"attn.hook_result", "hook_attn_out", "hook_mlp_out"})
            hooks.push_back("blocks." + std::to_string(l) + "." + h);
    const std::string finalResid = "blocks." + std::to_string(L - 1) + ".hook_resid_post";
    hooks.push_back(finalResid);

    at::Tensor heads, attention, mlps;  // summed over pairs: [L, H], [L], [L]
    double embeddings = 0, bias = 0, logitDiff = 0;
    const auto batches = stackPromptPairs(pairs);
    for (size_t bi = 0; bi < batches.size(); ++bi) {
        progress.check();
        progress.report(static_cast<double>(bi) / static_cast<double>(batches.size()), "DLA");
        const PromptBatch& batch = batches[bi];
        HookActivations cache;
        const at::Tensor logits = runWithCache(model, batch.clean, hooks, cache).to(at::kFloat);
        logitDiff += logitDifference(logits, batch.answer, batch.wrong).sum().item<double>();
        auto last = [&](const std::string& name) {  // [batch, ..., D] at the last position
            const at::Tensor& a = cache.at(name);
            return a.select(1, a.size(1) - 1).to(at::kFloat);
        };
        // The full residual's scale, cached once (7.6): every component is divided by it.
        const at::Tensor x = last(finalResid);  // [batch, D]
        const at::Tensor sigma =
            layerNorm ? at::sqrt(x.var(-1, false, true) + config.normEps)
                      : at::sqrt(x.pow(2).mean(-1, true) + config.normEps);  // [batch, 1]
        const at::Tensor unembed = model.unembedWeight().to(at::kFloat);
        const at::Tensor answer = batch.answer.to(unembed.device());
        const at::Tensor wrong = batch.wrong.to(unembed.device());
        const at::Tensor unembedDiff =
            unembed.index_select(0, answer) - unembed.index_select(0, wrong);  // [batch, D]
        const at::Tensor direction = model.finalNormWeight().to(at::kFloat) * unembedDiff;
        // c [batch, ..., D] → its logit-difference share [batch, ...].
        auto project = [&](at::Tensor c) {
            if (layerNorm) c = c - c.mean(-1, true);
            // Per batch row: broadcast over the middle (head) dimensions.
            std::vector<int64_t> shape(static_cast<size_t>(c.dim()), 1);
            shape[0] = c.size(0);
            std::vector<int64_t> directionShape = shape;
            directionShape.back() = c.size(-1);
            return (c / sigma.view(shape) * direction.view(directionShape)).sum(-1);
        };
        at::Tensor embed = last("hook_embed");
        if (learned) embed = embed + last("hook_pos_embed");
        embeddings += project(embed).sum().item<double>();
        if (layerNorm)
            bias += unembedDiff.matmul(model.finalNormBias().to(at::kFloat)).sum().item<double>();
        std::vector<at::Tensor> h, a, m;
        for (int64_t l = 0; l < L; ++l) {
            const std::string p = "blocks." + std::to_string(l) + ".";
            h.push_back(project(last(p + "attn.hook_result")).sum(0));  // [H]
            a.push_back(project(last(p + "hook_attn_out")).sum());
            m.push_back(project(last(p + "hook_mlp_out")).sum());
        }
        const at::Tensor hs = at::stack(h), as = at::stack(a), ms = at::stack(m);
        heads = heads.defined() ? heads + hs : hs;
        attention = attention.defined() ? attention + as : as;
        mlps = mlps.defined() ? mlps + ms : ms;
    }
    const auto n = static_cast<double>(pairs.size());
    DirectLogitAttribution r;
    const std::vector<double> flat = toVector(heads / n);
    const int64_t H = config.nHeads;
    for (int64_t l = 0; l < L; ++l)
        r.heads.emplace_back(flat.begin() + l * H, flat.begin() + (l + 1) * H);
    r.attention = toVector(attention / n);
    r.mlps = toVector(mlps / n);
    r.embeddings = embeddings / n;
    r.finalNormBias = bias / n;
    r.logitDiff = logitDiff / n;
    progress.report(1.0, "DLA done");
    return r;
}

}  // namespace attnscope::analysis::circuits
