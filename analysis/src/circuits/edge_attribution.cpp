// EAP and EAP-IG (spec 6.7): score(u→v) = Σ_{batch, pos, d} (z′_u − z_u) · ∂L/∂in_v, the gradient
// taken at the clean run (EAP) or averaged over interpolated input embeddings (EAP-IG inputs).
#include <torch/csrc/autograd/autograd.h>

#include <stdexcept>

#include "attnscope/capture/transformer_model.h"
#include "edge_patcher_impl.h"

namespace attnscope::analysis::circuits {
namespace {

// The receiver inputs in one flat list, for autograd::grad: per layer q, k, v, mlp; logits last.
std::vector<at::Tensor> flatten(const ReceiverInputs& in) {
    std::vector<at::Tensor> out;
    for (size_t l = 0; l < in.q.size(); ++l)
        for (const auto* t : {&in.q[l], &in.k[l], &in.v[l], &in.mlp[l]})
            out.push_back(*t);
    out.push_back(in.logits);
    return out;
}

// Adds Δ · G to the scores of `count` receivers from `first` whose senders are [0, senders):
// delta [senders, batch, pos, D], grad [batch, pos, count, D] (float32).
void addScores(const EdgeGraph& graph, std::vector<double>& scores, int first, int count,
               int senders, const at::Tensor& delta, const at::Tensor& grad) {
    const int64_t positions = grad.size(1);
    at::Tensor d = delta.narrow(0, 0, senders);
    if (positions != d.size(2)) d = d.narrow(2, d.size(2) - positions, positions);
    at::Tensor g = grad.permute({2, 0, 1, 3}).reshape({count, -1});
    at::Tensor s = at::matmul(d.reshape({senders, -1}), g.t()).to(at::kDouble).contiguous();
    auto cell = s.accessor<double, 2>();  // [senders, count]
    for (int i = 0; i < count; ++i)
        for (int u = 0; u < senders; ++u)
            scores[static_cast<size_t>(graph.firstEdge(first + i) + u)] += cell[u][i];
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
    const int H = static_cast<int>(config.nHeads), K = static_cast<int>(config.nKvHeads);
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
        std::vector<at::Tensor> grads;
        for (int k = 0; k < runs; ++k) {
            part.check();
            part.report(static_cast<double>(k) / runs, steps ? "EAP-IG step" : "EAP gradients");
            at::Tensor x = steps == 0 ? cleanInput
                                      : baseInput + (static_cast<double>(k) / steps) *
                                                        (cleanInput - baseInput);
            x = x.detach().requires_grad_(true);
            ReceiverInputs inputs;
            EdgeForwardRequest request;
            request.ids = batch.clean;
            request.inputEmbeddings = x;
            request.receivers = &inputs;
            request.outputs = steps == 0 ? &clean : nullptr;
            at::Tensor logits = edgeForward(s.model, graph, request);
            at::Tensor loss =
                s.lossPerPair(batch, logits).sum() / static_cast<double>(s.pairs * runs);
            const auto targets = flatten(inputs);
            auto g = torch::autograd::grad({loss}, targets, {}, false, false, true);
            if (grads.empty()) grads.resize(g.size());
            for (size_t i = 0; i < g.size(); ++i) {
                if (!g[i].defined()) g[i] = at::zeros_like(targets[i]);
                g[i] = g[i].to(at::kFloat);
                grads[i] = grads[i].defined() ? grads[i] + g[i] : g[i];
            }
        }
        at::NoGradGuard noGrad;
        const at::Tensor delta = (batch.ablated - clean).to(at::kFloat);
        for (int l = 0; l < config.nLayers; ++l) {
            const size_t at = static_cast<size_t>(4 * l);
            at::Tensor attn = at::cat({grads[at], grads[at + 1], grads[at + 2]}, 2);
            addScores(graph, scores, graph.qReceiver(l, 0), H + 2 * K, graph.headNode(l, 0), delta,
                      attn);
            addScores(graph, scores, graph.mlpReceiver(l), 1, graph.mlpNode(l), delta,
                      grads[at + 3].unsqueeze(2));
        }
        addScores(graph, scores, graph.logitsReceiver(), 1, graph.logitsNode(), delta,
                  grads.back().unsqueeze(2));
    }
    progress.report(1.0, "attribution done");
    return std::vector<float>(scores.begin(), scores.end());
}

}  // namespace attnscope::analysis::circuits
