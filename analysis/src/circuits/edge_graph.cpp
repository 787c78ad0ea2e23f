#include "attnscope/analysis/circuits/edge_graph.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace attnscope::analysis::circuits {
namespace {

// Parses a non-negative decimal at the front of `text` and removes it; -1 when there is none.
int takeNumber(std::string_view& text) {
    int value = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || value < 0) return -1;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    return value;
}

bool takePrefix(std::string_view& text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
}

}  // namespace

EdgeGraph::EdgeGraph(int layers, int heads, int kvHeads)
    : m_layers(layers), m_heads(heads), m_kvHeads(kvHeads) {
    if (layers < 1 || heads < 1 || kvHeads < 1 || heads % kvHeads != 0)
        throw std::invalid_argument(
            "edge graph: need layers >= 1, heads >= 1 and a KV-head "
            "count dividing the head count (got " +
            std::to_string(layers) + ", " + std::to_string(heads) + ", " + std::to_string(kvHeads) +
            ")");
    m_nodes.push_back({NodeKind::Input, -1, -1});
    for (int l = 0; l < layers; ++l) {
        for (int h = 0; h < heads; ++h)
            m_nodes.push_back({NodeKind::Head, l, h});
        m_nodes.push_back({NodeKind::Mlp, l, -1});
    }
    m_nodes.push_back({NodeKind::Logits, layers, -1});

    const int groupSize = heads / kvHeads;
    for (int l = 0; l < layers; ++l) {
        for (int h = 0; h < heads; ++h)
            m_receivers.push_back({Port::Q, l, h, headNode(l, h)});
        for (Port port : {Port::K, Port::V})
            for (int g = 0; g < kvHeads; ++g)
                m_receivers.push_back({port, l, g, headNode(l, g * groupSize)});
        m_receivers.push_back({Port::Residual, l, 0, mlpNode(l)});
    }
    m_receivers.push_back({Port::Residual, layers, 0, logitsNode()});

    m_firstEdge.reserve(m_receivers.size() + 1);
    int64_t total = 0;
    for (size_t r = 0; r < m_receivers.size(); ++r) {
        m_firstEdge.push_back(total);
        total += senderCount(static_cast<int>(r));
    }
    m_firstEdge.push_back(total);
}

int EdgeGraph::qReceiver(int layer, int head) const {
    return layer * (m_heads + 2 * m_kvHeads + 1) + head;
}
int EdgeGraph::kReceiver(int layer, int kvHead) const {
    return qReceiver(layer, m_heads) + kvHead;
}
int EdgeGraph::vReceiver(int layer, int kvHead) const {
    return kReceiver(layer, m_kvHeads) + kvHead;
}
int EdgeGraph::mlpReceiver(int layer) const {
    return vReceiver(layer, m_kvHeads);
}

int EdgeGraph::senderCount(int receiver) const {
    const ReceiverInput& r = m_receivers[receiver];
    const int before = 1 + r.layer * (m_heads + 1);  // input and every earlier layer
    if (r.port == Port::Residual && r.layer < m_layers) return before + m_heads;  // an MLP
    return before;
}

int64_t EdgeGraph::edgeIndex(int sender, int receiver) const {
    if (receiver < 0 || receiver >= static_cast<int>(m_receivers.size())) return -1;
    if (sender < 0 || sender >= senderCount(receiver)) return -1;
    return m_firstEdge[receiver] + sender;
}

int EdgeGraph::edgeReceiver(int64_t edge) const {
    const auto it = std::upper_bound(m_firstEdge.begin(), m_firstEdge.end(), edge);
    return static_cast<int>(it - m_firstEdge.begin()) - 1;
}

int EdgeGraph::edgeSender(int64_t edge) const {
    return static_cast<int>(edge - m_firstEdge[edgeReceiver(edge)]);
}

std::string EdgeGraph::nodeName(int node) const {
    const GraphNode& n = m_nodes[node];
    switch (n.kind) {
        case NodeKind::Input:
            return "input";
        case NodeKind::Head:
            return "a" + std::to_string(n.layer) + ".h" + std::to_string(n.head);
        case NodeKind::Mlp:
            return "m" + std::to_string(n.layer);
        case NodeKind::Logits:
            return "logits";
    }
    return {};
}

std::string EdgeGraph::receiverName(int receiver) const {
    const ReceiverInput& r = m_receivers[receiver];
    if (r.port == Port::Residual) return nodeName(r.node);
    const std::string port = r.port == Port::Q ? "<q>" : r.port == Port::K ? "<k>" : "<v>";
    if (r.port == Port::Q || !grouped()) return nodeName(headNode(r.layer, r.index)) + port;
    return "a" + std::to_string(r.layer) + ".kv" + std::to_string(r.index) + port;
}

std::string EdgeGraph::edgeName(int64_t edge) const {
    return nodeName(edgeSender(edge)) + "->" + receiverName(edgeReceiver(edge));
}

int EdgeGraph::nodeIndex(std::string_view name) const {
    if (name == "input") return inputNode();
    if (name == "logits") return logitsNode();
    std::string_view rest = name;
    if (takePrefix(rest, "m")) {
        const int layer = takeNumber(rest);
        return rest.empty() && layer >= 0 && layer < m_layers ? mlpNode(layer) : -1;
    }
    if (!takePrefix(rest, "a")) return -1;
    const int layer = takeNumber(rest);
    if (!takePrefix(rest, ".h")) return -1;
    const int head = takeNumber(rest);
    if (!rest.empty() || layer < 0 || layer >= m_layers || head < 0 || head >= m_heads) return -1;
    return headNode(layer, head);
}

int EdgeGraph::receiverIndex(std::string_view name) const {
    if (name.size() < 3 || name[name.size() - 3] != '<' || name.back() != '>') {
        const int node = nodeIndex(name);
        if (node < 0) return -1;
        const GraphNode& n = m_nodes[node];
        if (n.kind == NodeKind::Mlp) return mlpReceiver(n.layer);
        if (n.kind == NodeKind::Logits) return logitsReceiver();
        return -1;
    }
    const char port = name[name.size() - 2];
    std::string_view head = name.substr(0, name.size() - 3);
    if (port == 'q') {
        const int node = nodeIndex(head);
        if (node < 0 || m_nodes[node].kind != NodeKind::Head) return -1;
        return qReceiver(m_nodes[node].layer, m_nodes[node].head);
    }
    if (port != 'k' && port != 'v') return -1;
    int layer = -1, index = -1;
    if (grouped()) {
        if (!takePrefix(head, "a")) return -1;
        layer = takeNumber(head);
        if (!takePrefix(head, ".kv")) return -1;
        index = takeNumber(head);
        if (!head.empty() || layer < 0 || layer >= m_layers || index < 0 || index >= m_kvHeads)
            return -1;
    } else {
        const int node = nodeIndex(head);
        if (node < 0 || m_nodes[node].kind != NodeKind::Head) return -1;
        layer = m_nodes[node].layer;
        index = m_nodes[node].head;
    }
    return port == 'k' ? kReceiver(layer, index) : vReceiver(layer, index);
}

int64_t EdgeGraph::edgeIndex(std::string_view name) const {
    const size_t arrow = name.find("->");
    if (arrow == std::string_view::npos) return -1;
    const int sender = nodeIndex(name.substr(0, arrow));
    const int receiver = receiverIndex(name.substr(arrow + 2));
    return sender < 0 || receiver < 0 ? -1 : edgeIndex(sender, receiver);
}

int64_t EdgeGraph::countEdges(int layers, int heads, int kvHeads) {
    int64_t total = 0;
    for (int64_t l = 0; l < layers; ++l) {
        const int64_t before = 1 + l * (heads + 1);
        total += (heads + 2 * kvHeads) * before + before + heads;
    }
    return total + 1 + int64_t(layers) * (heads + 1);
}

}  // namespace attnscope::analysis::circuits
