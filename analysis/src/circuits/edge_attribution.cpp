// EAP and EAP-IG (spec 6.7): score(u→v) = Σ_{batch, pos, d} (z′_u − z_u) · ∂L/∂in_v, the gradient
// taken at the clean run (EAP) or averaged over interpolated input embeddings (EAP-IG inputs).
// Per-position scores leave out the sum over positions (the residual stream is position-local:
// edge u→v at p carries z_u[p] into in_v[p]).
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

// Where the scores go: per edge and, when wanted, per (edge, position) [edges, T] row-major.
struct ScoreSums {
    std::vector<double> edges;
    std::vector<double> atPositions;  // empty unless per-position scores were asked for
    int64_t positions = 0;            // T
};

// Adds Δ · G to the scores of `count` receivers from `first` whose senders are [0, senders):
// delta [senders, batch, T, D], grad [batch, pos, count, D] (float32; pos = T, or 1 for the
// logits, which read the last position).
void addScores(const EdgeGraph& graph, ScoreSums& sums, int first, int count, int senders,
               const at::Tensor& delta, const at::Tensor& grad) {
    const int64_t positions = grad.size(1);
    at::Tensor d = delta.narrow(0, 0, senders);
    if (positions != d.size(2)) d = d.narrow(2, d.size(2) - positions, positions);
    if (sums.atPositions.empty()) {
        at::Tensor g = grad.permute({2, 0, 1, 3}).reshape({count, -1});
        at::Tensor s = at::matmul(d.reshape({senders, -1}), g.t()).to(at::kDouble).contiguous();
        auto cell = s.accessor<double, 2>();  // [senders, count]
        for (int i = 0; i < count; ++i)
            for (int u = 0; u < senders; ++u)
                sums.edges[static_cast<size_t>(graph.firstEdge(first + i) + u)] += cell[u][i];
        return;
    }
    // Per position: the sum over batch and d only; the edge's score is then the sum of these.
    const at::Tensor s = at::einsum("ubpD,bpiD->uip", {d, grad}).to(at::kDouble).contiguous();
    auto cell = s.accessor<double, 3>();  // [senders, count, positions]
    const int64_t from = sums.positions - positions;
    for (int i = 0; i < count; ++i)
        for (int u = 0; u < senders; ++u) {
            const auto e = static_cast<size_t>(graph.firstEdge(first + i) + u);
            double* row = sums.atPositions.data() + e * sums.positions + from;
            for (int64_t p = 0; p < positions; ++p) {
                row[p] += cell[u][i][p];
                sums.edges[e] += cell[u][i][p];
            }
        }
}

}  // namespace

std::vector<float> EdgePatcher::attributionScores(int steps, const capture::Progress& progress,
                                                  std::vector<float>* positionScores) {
    if (steps < 0 || steps > kMaxIgSteps)
        throw std::invalid_argument("EAP-IG steps must be between 1 and " +
                                    std::to_string(kMaxIgSteps) + " (got " + std::to_string(steps) +
                                    ")");
    Impl& s = *m_impl;
    const EdgeGraph& graph = s.graph;
    const auto& config = s.model.config();
    const int H = static_cast<int>(config.nHeads), K = static_cast<int>(config.nKvHeads);
    const int runs = std::max(steps, 1);
    ScoreSums sums;
    sums.edges.assign(static_cast<size_t>(graph.edgeCount()), 0.0);
    if (positionScores) {
        sums.positions = s.requireOneLength("per-position scores");
        sums.atPositions.assign(sums.edges.size() * static_cast<size_t>(sums.positions), 0.0);
    }
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
            addScores(graph, sums, graph.qReceiver(l, 0), H + 2 * K, graph.headNode(l, 0), delta,
                      attn);
            addScores(graph, sums, graph.mlpReceiver(l), 1, graph.mlpNode(l), delta,
                      grads[at + 3].unsqueeze(2));
        }
        addScores(graph, sums, graph.logitsReceiver(), 1, graph.logitsNode(), delta,
                  grads.back().unsqueeze(2));
    }
    progress.report(1.0, "attribution done");
    if (positionScores) positionScores->assign(sums.atPositions.begin(), sums.atPositions.end());
    return std::vector<float>(sums.edges.begin(), sums.edges.end());
}

}  // namespace attnscope::analysis::circuits
