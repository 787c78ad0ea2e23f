#pragma once
// The edge-level forward pass (spec 6.6), internal to the circuit code. Every receiver input is
// formed on its own from the residual sum plus the difference terms of its removed edges:
//   in_v = Σ_u z_u + Σ_{u→v removed} (z′_u − z_u)   (+ the attention output biases)
// with z_u from this forward. Inputs are formed layer by layer: only one layer's receivers
// ([batch, pos, receivers, d_model]) exist at a time, next to the sender outputs.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/edge_graph.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis::circuits {

/// The receiver inputs of one forward, by layer, for gradients (spec 6.7).
struct ReceiverInputs {
    std::vector<at::Tensor> q, k, v;  ///< per layer: [batch, pos, head | kv_head, d_model]
    std::vector<at::Tensor> mlp;      ///< per layer: [batch, pos, d_model]
    at::Tensor logits;                ///< [batch, 1, d_model] (the last position)
};

struct EdgeForwardRequest {
    at::Tensor ids;  ///< [batch, pos] int64
    /// When defined, used instead of the embeddings as the input node's output [batch, pos, D]
    /// (EAP-IG's interpolated inputs).
    at::Tensor inputEmbeddings;
    /// Per edge, nonzero = kept; null = every edge kept.
    const std::vector<uint8_t>* kept = nullptr;
    /// Per (edge, position) [edges, pos] row-major, nonzero = kept: removes an edge at single
    /// positions only (the residual stream is position-local, so edge u→v at position p carries
    /// z_u[p] into in_v[p]). Used instead of `kept` when set.
    const std::vector<uint8_t>* keptAt = nullptr;
    /// z′ of every sender node, broadcastable to [senders, batch, pos, D]; needed when an edge
    /// is removed.
    at::Tensor ablated;
    /// When set, filled with this forward's sender outputs [senders, batch, pos, D] (detached).
    at::Tensor* outputs = nullptr;
    /// When set, filled with the receiver inputs (part of the autograd graph when grad is on).
    ReceiverInputs* receivers = nullptr;
};

/// Runs the model on request.ids with the given edges and returns the last-position logits
/// [batch, vocab] (float32). Senders are the graph's nodes before `logits`.
at::Tensor edgeForward(capture::TransformerModel& model, const EdgeGraph& graph,
                       const EdgeForwardRequest& request);

/// The input node's output: token embeddings (plus learned positions) [batch, pos, D].
at::Tensor inputEmbeddings(capture::TransformerModel& model, const at::Tensor& ids);

}  // namespace attnscope::analysis::circuits
