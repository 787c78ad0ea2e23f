#pragma once
// The edge graph of circuit discovery (spec 6.6, the EAP-IG / MIB convention). Senders are the
// embeddings, every head and every MLP; receivers are each head's q input, the k and v inputs
// of each KV head, each MLP and the logits. Every sender that writes to the residual stream
// before a receiver reads it is connected to it. Torch-free: the GUI and file readers use it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::analysis::circuits {

enum class NodeKind { Input, Head, Mlp, Logits };

/// A node of the graph. Order: input, then per layer its heads and its MLP, then logits.
struct GraphNode {
    NodeKind kind = NodeKind::Input;
    int layer = -1;  ///< -1 for input; the layer count for logits
    int head = -1;   ///< query-head index for heads, -1 otherwise
};

/// Which input of a node an edge feeds. Residual: the single input of an MLP or the logits.
enum class Port { Residual, Q, K, V };

/// One receiving input. A q port belongs to a query head; k and v ports belong to a KV head
/// (the query heads of its group share them), so `index` is a KV-head index for K and V.
struct ReceiverInput {
    Port port = Port::Residual;
    int layer = 0;  ///< the layer count for the logits
    int index = 0;  ///< query head (Q), KV head (K, V); 0 otherwise
    int node = 0;   ///< the node this input belongs to (for K/V: the group's first head)
};

/// An edge is stored implicitly: the senders of every receiver are a prefix of the node order,
/// so edge i of receiver r connects node (i - firstEdge(r)) to r. A Llama-3-8B graph (1.6 M
/// edges ungrouped) costs a few kilobytes.
class EdgeGraph {
public:
    EdgeGraph() = default;
    /// Throws std::invalid_argument unless layers >= 1, heads >= 1 and kvHeads divides heads.
    EdgeGraph(int layers, int heads, int kvHeads);

    int layers() const { return m_layers; }
    int heads() const { return m_heads; }
    int kvHeads() const { return m_kvHeads; }
    /// Whether k/v receivers are named by KV head (`a2.kv1<k>`) rather than by head.
    bool grouped() const { return m_kvHeads != m_heads; }

    const std::vector<GraphNode>& nodes() const { return m_nodes; }
    const std::vector<ReceiverInput>& receivers() const { return m_receivers; }
    int64_t edgeCount() const { return m_firstEdge.empty() ? 0 : m_firstEdge.back(); }

    int inputNode() const { return 0; }
    int headNode(int layer, int head) const { return 1 + layer * (m_heads + 1) + head; }
    int mlpNode(int layer) const { return 1 + layer * (m_heads + 1) + m_heads; }
    int logitsNode() const { return static_cast<int>(m_nodes.size()) - 1; }

    /// Receivers in topological order: per layer the q ports, then k, then v, then the MLP;
    /// the logits last. ACDC visits them in reverse.
    int qReceiver(int layer, int head) const;
    int kReceiver(int layer, int kvHead) const;
    int vReceiver(int layer, int kvHead) const;
    int mlpReceiver(int layer) const;
    int logitsReceiver() const { return static_cast<int>(m_receivers.size()) - 1; }

    /// Edges into receiver r are [firstEdge(r), firstEdge(r) + senderCount(r)).
    int64_t firstEdge(int receiver) const { return m_firstEdge[receiver]; }
    int senderCount(int receiver) const;
    int64_t edgeIndex(int sender, int receiver) const;  ///< -1 if the edge does not exist
    int edgeSender(int64_t edge) const;
    int edgeReceiver(int64_t edge) const;

    /// EAP-IG names: nodes `input`, `a{l}.h{h}`, `m{l}`, `logits`; receivers carry their port,
    /// `a{l}.h{h}<q>`, `a{l}.h{h}<k>` (or `a{l}.kv{g}<k>` when grouped), `m{l}`, `logits`;
    /// an edge is `sender->receiver`.
    std::string nodeName(int node) const;
    std::string receiverName(int receiver) const;
    std::string edgeName(int64_t edge) const;
    int nodeIndex(std::string_view name) const;      ///< -1 if unknown
    int receiverIndex(std::string_view name) const;  ///< -1 if unknown
    int64_t edgeIndex(std::string_view name) const;  ///< -1 if unknown or not an edge

    /// The edge count without building the graph (spec 6.6: 32,491 for GPT-2 small).
    static int64_t countEdges(int layers, int heads, int kvHeads);

private:
    int m_layers = 0, m_heads = 0, m_kvHeads = 0;
    std::vector<GraphNode> m_nodes;
    std::vector<ReceiverInput> m_receivers;
    std::vector<int64_t> m_firstEdge;  // per receiver, plus the total at the end
};

}  // namespace attnscope::analysis::circuits
