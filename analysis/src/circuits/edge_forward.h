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

/// What a forward with every edge kept records for the receiver gradients of EAP (spec 6.7).
/// The q, k and v receivers of a layer all read the same residual stream then, each through the
/// norm and its own rows of the fused projection, so the gradient at receiver v's input is
/// J_norm(attnInput)ᵀ · W_vᵀ · ∂L/∂qkv_v: attributionScores forms it afterwards from the gradient
/// at `qkv`, and the forward and backward stay the runtime's fused ones instead of giving each
/// receiver its own copy of the stream.
struct ReceiverTape {
    std::vector<at::Tensor>
        attnInput;                ///< per layer: the stream entering attention [batch, pos, D]
    std::vector<at::Tensor> qkv;  ///< per layer: the fused projection [batch, pos, (H + 2K)·d]
    std::vector<at::Tensor> mlp;  ///< per layer: the MLP receiver's input [batch, pos, D]
    at::Tensor logits;            ///< the logits receiver's input [batch, 1, D]
};

/// Clean forwards continued from one of their stages, each with a single edge u→v removed: the
/// work of exact edge patching. Everything before v reads is the clean run, so a forward starts
/// from the clean residual stream there, and only v's input differs from it, by z′_u − z_u.
/// Several such variants of one batch of pairs share a forward, stacked on the batch axis.
struct EdgeForwardResume {
    int stage = 0;  ///< where the forwards start (receiverStage() of every v)
    /// The clean residual stream entering that stage, repeated for every variant
    /// [variants · pairs, pos, D] (the request's ids have as many rows).
    at::Tensor resid;
    /// Per variant: v, and what is added to v's input alone in its rows, z′_u − z_u
    /// (broadcastable to [pairs, pos, D]).
    std::vector<int> receivers;
    std::vector<at::Tensor> extras;
};

/// The stage whose input a receiver reads: 2l for the q/k/v inputs of layer l, 2l + 1 for its
/// MLP, 2L for the logits.
int receiverStage(const EdgeGraph& graph, int receiver);

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
    /// When set, filled for gradients (part of the autograd graph when grad is on); only with
    /// every edge kept (std::logic_error otherwise).
    ReceiverTape* tape = nullptr;
    /// When set, the forward starts there instead (`kept`, `keptAt` and `inputEmbeddings` must
    /// be unset, std::logic_error otherwise); sender outputs before the stage are not recorded.
    const EdgeForwardResume* resume = nullptr;
    /// When set, filled with the residual stream entering every stage, 2L + 1 entries
    /// [batch, pos, D] (for resumed forwards); only from the start.
    std::vector<at::Tensor>* stageInputs = nullptr;
};

/// Runs the model on request.ids with the given edges and returns the last-position logits
/// [batch, vocab] (float32). Senders are the graph's nodes before `logits`.
at::Tensor edgeForward(capture::TransformerModel& model, const EdgeGraph& graph,
                       const EdgeForwardRequest& request);

/// The input node's output: token embeddings (plus learned positions) [batch, pos, D].
at::Tensor inputEmbeddings(capture::TransformerModel& model, const at::Tensor& ids);

}  // namespace attnscope::analysis::circuits
