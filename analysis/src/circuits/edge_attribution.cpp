// EAP and EAP-IG (spec 6.7): score(u→v) = Σ_{batch, pos, d} (z′_u − z_u) · ∂L/∂in_v, the gradient
// taken at the clean run (EAP) or averaged over interpolated input embeddings (EAP-IG inputs).
// Per-position scores leave out the sum over positions (the residual stream is position-local:
// edge u→v at p carries z_u[p] into in_v[p]).
#include <torch/csrc/autograd/autograd.h>

#include <stdexcept>

#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "edge_patcher_impl.h"

namespace attnscope::analysis::circuits {
namespace {

// Sums over the runs of one batch the gradients at the q, k and v receiver inputs of one layer:
// [R, batch, pos, D] float32, R = H + 2K in receiver order (q heads, then k and v KV heads).
// Receiver r reads the stream x through the norm and its rows W_r of the fused projection, so
// its gradient is Jᵀ (W_rᵀ g_r) with g the gradient at the projection and J the norm's Jacobian
// at x. Per token, with w the norm's weight, x̂ the normalised x and ρ its reciprocal scale,
//   Jᵀ u = ρ (w∘u − mean(w∘u) − x̂ · mean(x̂∘w∘u))   (RMSNorm: without the mean(w∘u) term),
// and both means are dot products with g that need no [R, tokens, D] pass: mean(w∘u) =
// g·Σ_D W′_r / D and mean(x̂∘w∘u) = g·(W′_r x̂) / D, W′ = W∘w, where W′x̂ is the projection the
// forward computed less its constant part. So a run adds one GEMM to the sum and keeps x̂ and
// the two means per token; finish() applies w and subtracts every run's mean terms in one
// batched GEMM. Only vectors are kept per layer: a 7B model's weights are not copied.
class QkvReceiverGradients {
public:
    QkvReceiverGradients(const capture::ModelConfig& c, capture::TransformerBlock& block)
        : m_config(c), m_block(block) {
        const int64_t R = c.nHeads + 2 * c.nKvHeads, d = c.headDim;
        const at::Tensor w = block.attn->wQkv.to(at::kFloat);
        m_normWeight = block.norm1W.to(at::kFloat);
        if (c.norm == capture::NormKind::LayerNorm)
            m_rowSum = (at::mv(w, m_normWeight) / double(c.dModel)).view({R, d});
        // The part of the projection that does not depend on x̂: its bias and W·(norm bias).
        at::Tensor constant = at::zeros({R * d}, at::kFloat);
        if (block.attn->bQkv.defined()) constant += block.attn->bQkv.to(at::kFloat);
        if (block.norm1B.defined()) constant += at::mv(w, block.norm1B.to(at::kFloat));
        m_constant = constant.view({R, d});
    }

    /// Adds one run: x [batch, pos, D] the stream entering attention, qkv [batch, pos, R·d]
    /// the fused projection, gradQkv its gradient.
    void add(const at::Tensor& x, const at::Tensor& qkv, const at::Tensor& gradQkv) {
        const int64_t b = x.size(0), t = x.size(1), D = x.size(2);
        const int64_t R = m_constant.size(0), d = m_constant.size(1);
        at::Tensor xf = x.reshape({b * t, D}).to(at::kFloat);
        if (m_rowSum.defined()) xf = xf - xf.mean(-1, true);
        const at::Tensor rstd = at::rsqrt(xf.pow(2).mean(-1, true) + m_config.normEps);  // ρ
        const at::Tensor g = gradQkv.reshape({b * t, R, d}).to(at::kFloat);
        const at::Tensor projected = qkv.detach().reshape({b * t, R, d}).to(at::kFloat);
        const at::Tensor scaled = (g * rstd.unsqueeze(-1)).transpose(0, 1);  // [R, tokens, d]
        const at::Tensor weight = m_block.attn->wQkv.to(at::kFloat).view({R, d, D});
        if (m_sum.defined())
            m_sum.baddbmm_(scaled, weight);  // ρ u, w applied in finish()
        else
            m_sum = at::bmm(scaled, weight);
        // Per token: x̂ with ρ · mean(x̂∘w∘u) of every receiver, and (LayerNorm) a row of ones
        // with ρ · mean(w∘u).
        m_rows.push_back(xf * rstd);
        m_coefficients.push_back((g * (projected - m_constant)).sum(-1) * (rstd / double(D)));
        if (m_rowSum.defined()) {
            m_rows.push_back(at::ones_like(xf));
            m_coefficients.push_back((g * m_rowSum).sum(-1) * rstd);
        }
        m_shape = {R, b, t, D};
    }

    /// The sum over the runs added: [R, batch, pos, D].
    at::Tensor finish() {
        // Per token, [R, terms] × [terms, D]: every run's rank-one terms in one batched GEMM.
        const at::Tensor coefficients = at::stack(m_coefficients, -1);  // [tokens, R, terms]
        const at::Tensor rows = at::stack(m_rows, 1);                   // [tokens, terms, D]
        m_sum.mul_(m_normWeight);
        m_sum.sub_(at::bmm(coefficients, rows).transpose(0, 1));
        m_rows.clear();
        m_coefficients.clear();
        return m_sum.view(m_shape);
    }

private:
    const capture::ModelConfig& m_config;
    capture::TransformerBlock& m_block;
    at::Tensor m_normWeight;                         // w [D] float32
    at::Tensor m_rowSum;                             // Σ_D W′ / D [R, d] (LayerNorm only)
    at::Tensor m_constant;                           // [R, d]
    at::Tensor m_sum;                                // [R, tokens, D]
    std::vector<at::Tensor> m_rows, m_coefficients;  // [tokens, D] and [tokens, R] per term
    std::vector<int64_t> m_shape;
};

// Where the scores go: per edge and, when wanted, per (edge, position) [edges, T] row-major.
struct ScoreSums {
    std::vector<double> edges;
    std::vector<double> atPositions;  // empty unless per-position scores were asked for
    int64_t positions = 0;            // T
};

// Adds Δ · G to the scores of `count` receivers from `first` whose senders are [0, senders):
// delta [senders, batch, pos, D], grad [count, batch, pos′, D] (float32) at the last pos′
// positions (pos′ = 1 for the logits, which read the last position).
void addScores(const EdgeGraph& graph, ScoreSums& sums, int first, int count, int senders,
               const at::Tensor& delta, const at::Tensor& grad) {
    const int64_t positions = grad.size(2);
    at::Tensor d = delta.narrow(0, 0, senders);
    if (positions != d.size(2)) d = d.narrow(2, d.size(2) - positions, positions);
    if (sums.atPositions.empty()) {
        at::Tensor s = at::matmul(d.reshape({senders, -1}), grad.reshape({count, -1}).t())
                           .to(at::kDouble)
                           .contiguous();
        auto cell = s.accessor<double, 2>();  // [senders, count]
        for (int i = 0; i < count; ++i)
            for (int u = 0; u < senders; ++u)
                sums.edges[static_cast<size_t>(graph.firstEdge(first + i) + u)] += cell[u][i];
        return;
    }
    // Per position: the sum over batch and d only; the edge's score is then the sum of these.
    const at::Tensor s = at::einsum("ubpD,ibpD->uip", {d, grad}).to(at::kDouble).contiguous();
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

// sum += term in float32 (a copy of the first term: autograd's outputs are not written to).
void accumulateGradient(at::Tensor& sum, const at::Tensor& term) {
    if (sum.defined())
        sum.add_(term);
    else
        sum = term.to(at::kFloat).clone(at::MemoryFormat::Contiguous);
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
    const int L = static_cast<int>(config.nLayers);
    const int R = static_cast<int>(config.nHeads + 2 * config.nKvHeads);
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
        // Receiver gradients summed over the runs (float32): per layer q/k/v, the MLP
        // [batch, pos, D]; the logits [batch, 1, D].
        std::vector<QkvReceiverGradients> attnGrad;
        for (int l = 0; l < L; ++l)
            attnGrad.emplace_back(config, s.model.block(l));
        std::vector<at::Tensor> mlpGrad(L);
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
                attnGrad[l].add(tape.attnInput[l], tape.qkv[l], g[l]);
                accumulateGradient(mlpGrad[l], g[L + l]);
            }
            accumulateGradient(logitsGrad, g.back());
        }
        at::NoGradGuard noGrad;
        const at::Tensor delta = (batch.ablated - clean).to(at::kFloat);
        for (int l = 0; l < L; ++l) {
            addScores(graph, sums, graph.qReceiver(l, 0), R, graph.headNode(l, 0), delta,
                      attnGrad[l].finish());
            addScores(graph, sums, graph.mlpReceiver(l), 1, graph.mlpNode(l), delta,
                      mlpGrad[l].unsqueeze(0));
        }
        addScores(graph, sums, graph.logitsReceiver(), 1, graph.logitsNode(), delta,
                  logitsGrad.unsqueeze(0));
    }
    progress.report(1.0, "attribution done");
    if (positionScores) positionScores->assign(sums.atPositions.begin(), sums.atPositions.end());
    return std::vector<float>(sums.edges.begin(), sums.edges.end());
}

}  // namespace attnscope::analysis::circuits
