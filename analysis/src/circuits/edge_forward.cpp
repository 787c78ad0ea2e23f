#include "edge_forward.h"

#include <stdexcept>

#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits {
namespace {

using capture::applyNorm;

// One forward's state: the difference terms (z′ − z) of the senders seen so far and, when asked,
// the sender outputs themselves.
class EdgeForwardPass {
public:
    EdgeForwardPass(capture::TransformerModel& model, const EdgeGraph& graph,
                    const EdgeForwardRequest& request)
        : m_model(model), m_graph(graph), m_request(request) {
        const auto& c = model.config();
        m_batch = request.ids.size(0);
        m_positions = request.ids.size(1);
        m_dModel = c.dModel;
        const int64_t senders = graph.logitsNode();
        const auto options = model.tensorOptions();
        if (anyRemoved()) m_delta = at::empty({senders, m_batch, m_positions, m_dModel}, options);
        if (request.outputs)
            *request.outputs = at::empty({senders, m_batch, m_positions, m_dModel}, options);
        if (request.tape && m_delta.defined())
            throw std::logic_error("edge forward: a receiver tape needs every edge kept");
        if (request.resume && (request.kept || request.keptAt || request.stageInputs ||
                               request.inputEmbeddings.defined()))
            throw std::logic_error("edge forward: a resumed forward removes its one edge only");
    }

    at::Tensor run();

private:
    bool anyRemoved() const {
        const std::vector<uint8_t>* kept = m_request.keptAt ? m_request.keptAt : m_request.kept;
        if (!kept) return false;
        for (uint8_t k : *kept)
            if (!k) return true;
        return false;
    }

    // Stores the outputs z [count, batch, pos, D] of senders first .. first + count - 1.
    void record(int first, const at::Tensor& z) {
        at::NoGradGuard noGrad;
        const int64_t count = z.size(0);
        if (m_delta.defined())
            m_delta.narrow(0, first, count).copy_(m_request.ablated.narrow(0, first, count) - z);
        if (m_request.outputs) m_request.outputs->narrow(0, first, count).copy_(z);
    }

    // Σ over removed edges of (z′_u − z_u) for `count` consecutive receivers from `first` whose
    // senders are nodes [0, senders): [count, batch, pos, D] at the last `positions` positions,
    // or undefined when none of these edges is removed.
    at::Tensor correction(int first, int count, int senders, int64_t positions) const {
        if (m_request.resume) return resumedCorrection(first, count, positions);
        if (!m_delta.defined()) return {};
        if (m_request.keptAt) return correctionAt(first, count, senders, positions);
        at::Tensor removed = at::zeros({count, senders}, at::kFloat);
        auto cell = removed.accessor<float, 2>();
        bool any = false;
        for (int i = 0; i < count; ++i) {
            const uint8_t* kept = m_request.kept->data() + m_graph.firstEdge(first + i);
            for (int s = 0; s < senders; ++s)
                if (!kept[s]) {
                    cell[i][s] = 1.0f;
                    any = true;
                }
        }
        if (!any) return {};
        at::Tensor delta = m_delta.narrow(0, 0, senders);
        if (positions != m_positions) delta = delta.narrow(2, m_positions - positions, positions);
        at::Tensor sum = at::matmul(removed.to(m_delta.options()), delta.reshape({senders, -1}));
        return sum.view({count, m_batch, positions, m_dModel});
    }

    // correction() for the one edge of each variant of a resumed forward.
    at::Tensor resumedCorrection(int first, int count, int64_t positions) const {
        const EdgeForwardResume& resume = *m_request.resume;
        const auto variants = static_cast<int64_t>(resume.receivers.size());
        const int64_t rows = m_batch / variants;
        at::Tensor corr;
        for (int64_t i = 0; i < variants; ++i) {
            const int r = resume.receivers[static_cast<size_t>(i)];
            if (r < first || r >= first + count) continue;
            if (!corr.defined())
                corr = at::zeros({count, m_batch, positions, m_dModel}, m_model.tensorOptions());
            corr[r - first]
                .narrow(0, i * rows, rows)
                .copy_(resume.extras[static_cast<size_t>(i)]
                           .expand({rows, m_positions, m_dModel})
                           .narrow(1, m_positions - positions, positions));
        }
        return corr;
    }

    // Runs layer l's attention on the stream `resid` and returns the stream after it.
    at::Tensor attention(int l, const at::Tensor& resid, const capture::BlockInputs& in);

    // correction() for edges removed at single positions (request.keptAt).
    at::Tensor correctionAt(int first, int count, int senders, int64_t positions) const {
        const int64_t from = m_positions - positions;  // the logits read the last position only
        at::Tensor removed = at::zeros({count, senders, positions}, at::kFloat);
        auto cell = removed.accessor<float, 3>();
        bool any = false;
        for (int i = 0; i < count; ++i)
            for (int s = 0; s < senders; ++s) {
                const uint8_t* kept = m_request.keptAt->data() +
                                      (m_graph.firstEdge(first + i) + s) * m_positions + from;
                for (int64_t p = 0; p < positions; ++p)
                    if (!kept[p]) {
                        cell[i][s][p] = 1.0f;
                        any = true;
                    }
            }
        if (!any) return {};
        at::Tensor delta = m_delta.narrow(0, 0, senders).narrow(2, from, positions);
        return at::einsum("isp,sbpD->ibpD", {removed.to(m_delta.options()), delta}).contiguous();
    }

    capture::TransformerModel& m_model;
    const EdgeGraph& m_graph;
    const EdgeForwardRequest& m_request;
    int64_t m_batch = 0, m_positions = 0, m_dModel = 0;
    at::Tensor m_delta;  // [senders, batch, pos, D]
};

at::Tensor EdgeForwardPass::attention(int l, const at::Tensor& resid,
                                      const capture::BlockInputs& in) {
    const auto& c = m_model.config();
    const int64_t b = m_batch, t = m_positions, D = m_dModel;
    const int64_t H = c.nHeads, K = c.nKvHeads, d = c.headDim;
    ReceiverTape* tape = m_request.tape;
    // Per-head outputs are formed only when a sender's output is wanted: to record it, or for
    // the difference terms of removed edges.
    const bool recordHeads = m_delta.defined() || m_request.outputs;
    capture::TransformerBlock& block = m_model.block(l);
    auto& attn = *block.attn;
    const int senders = m_graph.headNode(l, 0);
    const int receivers = static_cast<int>(H + 2 * K);
    at::Tensor corr = correction(m_graph.qReceiver(l, 0), receivers, senders, t);
    auto norm1 = [&](const at::Tensor& x) { return applyNorm(c, x, block.norm1W, block.norm1B); };
    at::Tensor q, k, v;
    if (!corr.defined()) {
        // Every receiver of this layer reads the same residual: one norm and the fused
        // projection, as the runtime computes them.
        at::Tensor qkv = at::linear(norm1(resid), attn.wQkv, attn.bQkv);
        if (tape) {
            tape->attnInput.push_back(resid.detach());
            tape->qkv.push_back(qkv);
        }
        auto parts = qkv.split_with_sizes({H * d, K * d, K * d}, -1);
        q = parts[0].view({b, t, H, d});
        k = parts[1].view({b, t, K, d});
        v = parts[2].view({b, t, K, d});
    } else {
        // Each receiver's own input (the stream plus its corrections) [R, batch, pos, D],
        // normalised, then projected by its own rows of the fused weight in one batched GEMM.
        at::Tensor x = norm1(corr + resid.unsqueeze(0)).view({receivers, b * t, D});
        at::Tensor projected =
            at::bmm(x, attn.wQkv.view({receivers, d, D}).transpose(1, 2));  // [R, b·t, d]
        if (attn.bQkv.defined()) projected = projected + attn.bQkv.view({receivers, 1, d});
        projected = projected.view({receivers, b, t, d}).permute({1, 2, 0, 3});
        q = projected.narrow(2, 0, H);
        k = projected.narrow(2, H, K);
        v = projected.narrow(2, H + K, K);
    }
    at::Tensor z = attn.attendProjected(q, k, v, in);  // [batch, pos, head, d]
    auto headOutputs = [&](const at::Tensor& zz) {     // [batch, pos, head, D]
        return at::einsum("bthd,Dhd->bthD", {zz, attn.wO.view({D, H, d})});
    };
    at::Tensor attnOut;
    if (recordHeads && !tape) {
        at::Tensor heads = headOutputs(z);
        record(m_graph.headNode(l, 0), heads.permute({2, 0, 1, 3}));
        attnOut = heads.sum(2);
    } else {
        // The fused output projection; the gradient then flows back through one GEMM.
        attnOut = at::linear(z.reshape({b, t, H * d}), attn.wO);
        if (recordHeads) {
            at::NoGradGuard noGrad;
            record(m_graph.headNode(l, 0), headOutputs(z.detach()).permute({2, 0, 1, 3}));
        }
    }
    at::Tensor out = resid + attnOut;
    return attn.bO.defined() ? out + attn.bO : out;
}

at::Tensor EdgeForwardPass::run() {
    auto& model = m_model;
    const auto& c = model.config();
    const int64_t t = m_positions;
    ReceiverTape* tape = m_request.tape;
    std::vector<at::Tensor>* stages = m_request.stageInputs;
    const int start = m_request.resume ? m_request.resume->stage : 0;

    capture::BlockInputs in;
    if (c.positions == capture::PositionKind::Rotary)
        std::tie(in.ropeCos, in.ropeSin) = model.rotaryTables(0, t);

    at::Tensor resid;
    if (m_request.resume) {
        resid = m_request.resume->resid;
    } else {
        resid = m_request.inputEmbeddings.defined()
                    ? m_request.inputEmbeddings
                    : inputEmbeddings(model, m_request.ids);  // [batch, pos, D]
        record(m_graph.inputNode(), resid.unsqueeze(0));
    }

    for (int l = 0; l < c.nLayers; ++l) {
        if (2 * l + 1 < start) continue;  // a resumed forward: this layer is the clean run's
        if (2 * l >= start) {
            if (stages) stages->push_back(resid);
            resid = attention(l, resid, in);
        }
        if (stages) stages->push_back(resid);
        capture::TransformerBlock& block = model.block(l);
        // A view of its own, so that the gradient at it is the MLP's alone and not that of
        // the residual stream flowing past.
        at::Tensor xm = resid.view_as(resid);
        at::Tensor mlpCorr = correction(m_graph.mlpReceiver(l), 1, m_graph.mlpNode(l), t);
        if (mlpCorr.defined()) xm = xm + mlpCorr[0];
        if (tape) tape->mlp.push_back(xm);
        at::Tensor mlpOut = block.mlp(applyNorm(c, xm, block.norm2W, block.norm2B));
        record(m_graph.mlpNode(l), mlpOut.unsqueeze(0));
        resid = resid + mlpOut;
    }
    if (stages) stages->push_back(resid);

    at::Tensor xl = resid.narrow(1, t - 1, 1);  // [batch, 1, D]
    at::Tensor logitsCorr = correction(m_graph.logitsReceiver(), 1, m_graph.logitsNode(), 1);
    if (logitsCorr.defined()) xl = xl + logitsCorr[0];
    if (tape) tape->logits = xl;
    at::Tensor normed = applyNorm(c, xl, model.finalNormWeight(), model.finalNormBias());
    return at::linear(normed, model.unembedWeight()).to(at::kFloat).squeeze(1);
}

}  // namespace

int receiverStage(const EdgeGraph& graph, int receiver) {
    const ReceiverInput& in = graph.receivers()[static_cast<size_t>(receiver)];
    if (receiver == graph.logitsReceiver()) return 2 * graph.layers();
    return 2 * in.layer + (in.port == Port::Residual ? 1 : 0);
}

at::Tensor inputEmbeddings(capture::TransformerModel& model, const at::Tensor& ids) {
    at::Tensor x = at::embedding(model.embedWeight(), ids);
    if (model.config().positions == capture::PositionKind::Learned)
        x = x + model.posEmbedWeight().narrow(0, 0, ids.size(1));
    return x;
}

at::Tensor edgeForward(capture::TransformerModel& model, const EdgeGraph& graph,
                       const EdgeForwardRequest& request) {
    return EdgeForwardPass(model, graph, request).run();
}

}  // namespace attnscope::analysis::circuits
