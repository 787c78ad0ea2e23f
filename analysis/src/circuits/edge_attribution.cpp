// EAP and EAP-IG (spec 6.7): score(u→v) = Σ_{batch, pos, d} (z′_u − z_u) · ∂L/∂in_v, the gradient
// taken at the clean run (EAP) or averaged over interpolated input embeddings (EAP-IG inputs).
#include <torch/csrc/autograd/autograd.h>

#include <stdexcept>

#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "edge_patcher_impl.h"

namespace attnscope::analysis::circuits {
namespace {

// The gradients at the q, k and v receiver inputs of one layer, [R, batch, pos, D] float32 with
// R = H + 2K in receiver order (q heads, k then v KV heads), from the gradient at the fused
// projection qkv [batch, pos, R·d] and the stream x [batch, pos, D] they all read: per receiver
// r, Jᵀ (W_rᵀ g_r) with J the norm's Jacobian at x. One batched GEMM of the per-head rows, then
// the norm's vector-Jacobian product in closed form on all receivers at once.
at::Tensor qkvReceiverGradients(const capture::ModelConfig& c, capture::TransformerBlock& block,
                                const at::Tensor& x, const at::Tensor& gradQkv) {
    const int64_t b = x.size(0), t = x.size(1), D = x.size(2), d = c.headDim;
    const int64_t R = c.nHeads + 2 * c.nKvHeads;
    const at::Tensor g = gradQkv.reshape({b * t, R, d}).transpose(0, 1);         // [R, bt, d]
    at::Tensor u = at::bmm(g, block.attn->wQkv.view({R, d, D})).to(at::kFloat);  // ∂L/∂norm(x)_r
    u.mul_(block.norm1W.to(at::kFloat));
    const at::Tensor xf = x.reshape({1, b * t, D}).to(at::kFloat);
    at::Tensor centred = xf;
    if (c.norm == capture::NormKind::LayerNorm) {
        centred = xf - xf.mean(-1, true);
        u.sub_(u.mean(-1, true));
    }
    const at::Tensor rstd = at::rsqrt(centred.pow(2).mean(-1, true) + c.normEps);
    const at::Tensor normed = centred * rstd;
    // Remove the component along the normalised input (the scale's derivative), then rescale.
    u.addcmul_(normed, (u * normed).mean(-1, true), -1.0);
    u.mul_(rstd);
    return u.view({R, b, t, D});
}

// Adds Δ · G to the scores of `count` receivers from `first` whose senders are [0, senders):
// delta [senders, batch, pos, D], grad [count, batch, pos′, D] (float32) at the last pos′
// positions.
void addScores(const EdgeGraph& graph, std::vector<double>& scores, int first, int count,
               int senders, const at::Tensor& delta, const at::Tensor& grad) {
    const int64_t positions = grad.size(2);
    at::Tensor d = delta.narrow(0, 0, senders);
    if (positions != d.size(2)) d = d.narrow(2, d.size(2) - positions, positions);
    at::Tensor s = at::matmul(d.reshape({senders, -1}), grad.reshape({count, -1}).t())
                       .to(at::kDouble)
                       .contiguous();
    auto cell = s.accessor<double, 2>();  // [senders, count]
    for (int i = 0; i < count; ++i)
        for (int u = 0; u < senders; ++u)
            scores[static_cast<size_t>(graph.firstEdge(first + i) + u)] += cell[u][i];
}

void accumulate(at::Tensor& sum, const at::Tensor& term) {
    if (sum.defined())
        sum.add_(term);
    else
        sum = term.to(at::kFloat).clone(at::MemoryFormat::Contiguous);
}

}  // namespace

std::vector<float> EdgePatcher::attributionScores(int steps, const capture::Progress& progress) {
    if (steps < 0 || steps > kMaxIgSteps)
        throw std::invalid_argument("EAP-IG steps must be between 1 and " +
                                    std::to_string(kMaxIgSteps) + " (got " + std::to_string(steps) +
                                    ")");
    Impl& s = *m_impl;
    const EdgeGraph& graph = s.graph;
    const auto& config = s.model.config();
    const int L = static_cast<int>(config.nLayers);
    const int R = static_cast<int>(config.nHeads + 2 * config.nKvHeads);
    const int runs = std::max(steps, 1);
    std::vector<double> scores(static_cast<size_t>(graph.edgeCount()), 0.0);
    for (size_t bi = 0; bi < s.batches.size(); ++bi) {
        const PairBatch& batch = s.batches[bi];
        const auto part = progress.part(static_cast<double>(bi) / s.batches.size(),
                                        static_cast<double>(bi + 1) / s.batches.size());
        at::Tensor clean;  // sender outputs of the clean run [senders, batch, pos, D]
        at::Tensor cleanInput, baseInput;
        {
            at::NoGradGuard noGrad;
            cleanInput = inputEmbeddings(s.model, batch.clean);
            baseInput = s.options.ablation == "resample" ? inputEmbeddings(s.model, batch.corrupted)
                                                         : batch.ablated[0].expand_as(cleanInput);
            if (steps > 0) s.forward(batch, nullptr, &clean);
        }
        // Receiver gradients summed over the runs (float32): per layer q/k/v [R, batch, pos,
        // D] and the MLP [batch, pos, D]; the logits [batch, 1, D].
        std::vector<at::Tensor> attnGrad(L), mlpGrad(L);
        at::Tensor logitsGrad;
        for (int k = 0; k < runs; ++k) {
            part.check();
            part.report(static_cast<double>(k) / runs, steps ? "EAP-IG step" : "EAP gradients");
            at::Tensor x = steps == 0 ? cleanInput
                                      : baseInput + (static_cast<double>(k) / steps) *
                                                        (cleanInput - baseInput);
            x = x.detach().requires_grad_(true);
            ReceiverTape tape;
            EdgeForwardRequest request;
            request.ids = batch.clean;
            request.inputEmbeddings = x;
            request.tape = &tape;
            request.outputs = steps == 0 ? &clean : nullptr;
            at::Tensor logits = edgeForward(s.model, graph, request);
            at::Tensor loss =
                s.lossPerPair(batch, logits).sum() / static_cast<double>(s.pairs * runs);
            std::vector<at::Tensor> targets = tape.qkv;
            targets.insert(targets.end(), tape.mlp.begin(), tape.mlp.end());
            targets.push_back(tape.logits);
            auto g = torch::autograd::grad({loss}, targets, {}, false, false, true);
            at::NoGradGuard noGrad;
            for (size_t i = 0; i < g.size(); ++i)
                if (!g[i].defined()) g[i] = at::zeros_like(targets[i]);
            for (int l = 0; l < L; ++l) {
                accumulate(attnGrad[l],
                           qkvReceiverGradients(config, s.model.block(l), tape.attnInput[l], g[l]));
                accumulate(mlpGrad[l], g[L + l]);
            }
            accumulate(logitsGrad, g.back());
        }
        at::NoGradGuard noGrad;
        const at::Tensor delta = (batch.ablated - clean).to(at::kFloat);
        for (int l = 0; l < L; ++l) {
            addScores(graph, scores, graph.qReceiver(l, 0), R, graph.headNode(l, 0), delta,
                      attnGrad[l]);
            addScores(graph, scores, graph.mlpReceiver(l), 1, graph.mlpNode(l), delta,
                      mlpGrad[l].unsqueeze(0));
        }
        addScores(graph, scores, graph.logitsReceiver(), 1, graph.logitsNode(), delta,
                  logitsGrad.unsqueeze(0));
    }
    progress.report(1.0, "attribution done");
    return std::vector<float>(scores.begin(), scores.end());
}

}  // namespace attnscope::analysis::circuits
