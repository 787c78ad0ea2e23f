#include "attnscope/ui/circuit_position_layout.h"

#include <cmath>
#include <vector>

namespace attnscope::ui {
namespace {

using analysis::circuits::NodeKind;
using analysis::circuits::Port;

constexpr double kMlpRaisedBy = 0.3;  // of a row: an MLP sits above its layer's heads
constexpr double kTokenHeight = 24;

}  // namespace

CircuitPositionLayout::CircuitPositionLayout(const analysis::circuits::EdgeGraph& graph,
                                             int64_t positions)
    : m_graph(graph), m_positions(positions) {}

QRectF CircuitPositionLayout::bounds() const {
    const double top = rowY(m_graph.layers() + 1) - kRow * 0.5;
    const double bottom = rowY(0) + kHeadHeight * 0.5 + kTokenHeight + 8;
    return QRectF(-kGap * 0.5, top, m_positions * columnWidth(), bottom - top);
}

QRectF CircuitPositionLayout::columnRect(int64_t position) const {
    const QRectF b = bounds();
    return QRectF(position * columnWidth(), b.top(), columnWidth() - kGap, b.height());
}

QRectF CircuitPositionLayout::tokenRect(int64_t position) const {
    const double y = rowY(0) + kHeadHeight * 0.5 + 4;
    return QRectF(position * columnWidth() - kGap * 0.4, y, columnWidth() - kGap * 0.2,
                  kTokenHeight);
}

int CircuitPositionLayout::rowOf(int node) const {
    const auto& n = m_graph.nodes()[static_cast<size_t>(node)];
    if (n.kind == NodeKind::Input) return 0;
    if (n.kind == NodeKind::Logits) return m_graph.layers() + 1;
    return n.layer + 1;
}

QRectF CircuitPositionLayout::localNodeRect(int node) const {
    const auto& n = m_graph.nodes()[static_cast<size_t>(node)];
    const double y = rowY(rowOf(node));
    const double inset = (kColumn - kHeadWidth) * 0.5;
    switch (n.kind) {
        case NodeKind::Input:
        case NodeKind::Logits:
            return QRectF(inset, y - kHeadHeight * 0.5, columnWidth() - kGap - 2 * inset,
                          kHeadHeight);
        case NodeKind::Head:
            return QRectF(n.head * kColumn + inset, y - kHeadHeight * 0.5, kHeadWidth, kHeadHeight);
        case NodeKind::Mlp:
            return QRectF(m_graph.heads() * kColumn + inset,
                          y - kRow * kMlpRaisedBy - kHeadHeight * 0.5, kHeadWidth, kHeadHeight);
    }
    return {};
}

bool CircuitPositionLayout::hasNode(int node, int64_t position) const {
    return node != m_graph.logitsNode() || position == m_positions - 1;
}

int64_t CircuitPositionLayout::drawnNodeCount() const {
    return (static_cast<int64_t>(m_graph.nodes().size()) - 1) * m_positions + 1;
}

QRectF CircuitPositionLayout::nodeRect(int node, int64_t position) const {
    return localNodeRect(node).translated(position * columnWidth(), 0);
}

QPointF CircuitPositionLayout::senderPoint(int node, int64_t position) const {
    const QRectF r = nodeRect(node, position);
    return QPointF(r.center().x(), r.top());
}

QPointF CircuitPositionLayout::receiverPoint(int receiver, int64_t position) const {
    const auto& in = m_graph.receivers()[static_cast<size_t>(receiver)];
    const QRectF box = nodeRect(in.node, position);
    if (in.port == Port::Residual) return QPointF(box.center().x(), box.bottom());
    const double offset = in.port == Port::Q ? -1 : in.port == Port::K ? 0 : 1;
    return QPointF(box.center().x() + offset * kHeadWidth / 3.0, box.bottom());
}

QPointF CircuitPositionLayout::cellStart(int64_t cell) const {
    return senderPoint(m_graph.edgeSender(cellEdge(cell)), cellPosition(cell));
}

QPointF CircuitPositionLayout::cellEnd(int64_t cell) const {
    return receiverPoint(m_graph.edgeReceiver(cellEdge(cell)), cellPosition(cell));
}

std::pair<int, int64_t> CircuitPositionLayout::nodeAt(const QPointF& p) const {
    if (m_positions <= 0) return {-1, 0};
    const auto position = static_cast<int64_t>(std::floor((p.x() + kGap * 0.5) / columnWidth()));
    if (position < 0 || position >= m_positions) return {-1, 0};
    const QPointF local(p.x() - position * columnWidth(), p.y());
    // Candidates: the row whose band holds p (heads), the MLP raised into it from the row
    // below, and the input and logits boxes.
    const int layers = m_graph.layers();
    const int row = static_cast<int>(std::lround(layers + 1 - p.y() / kRow));
    std::vector<int> candidates{m_graph.inputNode(), m_graph.logitsNode()};
    for (int r : {row, row - 1}) {
        if (r < 1 || r > layers) continue;
        const int h = static_cast<int>(std::floor(local.x() / kColumn));
        if (h >= 0 && h < m_graph.heads()) candidates.push_back(m_graph.headNode(r - 1, h));
        candidates.push_back(m_graph.mlpNode(r - 1));
    }
    for (int n : candidates)
        if (hasNode(n, position) && localNodeRect(n).contains(local)) return {n, position};
    return {-1, 0};
}

}  // namespace attnscope::ui
