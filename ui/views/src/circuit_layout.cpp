#include "attnscope/ui/circuit_layout.h"

#include <cmath>

namespace attnscope::ui {
namespace {

using analysis::circuits::NodeKind;
using analysis::circuits::Port;

constexpr double kMlpRaise = 0.42;  // of a row: an MLP sits above its layer's heads
constexpr double kBarGap = 10;      // GQA: the k/v bar's distance below the heads
constexpr double kBarHeight = 8;

}  // namespace

CircuitLayout::CircuitLayout(const analysis::circuits::EdgeGraph& graph) : m_graph(graph) {
    const int layers = graph.layers();
    const int heads = graph.heads();
    const double width = (heads + 1) * kColumn + kColumn * 0.5;  // heads, a gap, the MLP
    m_nodeRects.resize(graph.nodes().size());
    for (size_t n = 0; n < graph.nodes().size(); ++n) {
        const auto& node = graph.nodes()[n];
        const double y = rowY(rowOf(static_cast<int>(n)));
        switch (node.kind) {
            case NodeKind::Input:
            case NodeKind::Logits:
                m_nodeRects[n] = QRectF(kColumn * 0.5 - kHeadWidth * 0.5, y - kHeadHeight * 0.5,
                                        width - kColumn, kHeadHeight);
                break;
            case NodeKind::Head:
                m_nodeRects[n] = QRectF(node.head * kColumn + (kColumn - kHeadWidth) * 0.5,
                                        y - kHeadHeight * 0.5, kHeadWidth, kHeadHeight);
                break;
            case NodeKind::Mlp:
                m_nodeRects[n] =
                    QRectF(heads * kColumn + kColumn * 0.5 + (kColumn - kHeadWidth) * 0.5,
                           y - kRow * kMlpRaise - kHeadHeight * 0.5, kHeadWidth, kHeadHeight);
                break;
        }
    }
    m_receiverPoints.resize(graph.receivers().size());
    for (size_t r = 0; r < graph.receivers().size(); ++r) {
        const auto& in = graph.receivers()[r];
        const QRectF box = nodeRect(in.node);
        if (in.port == Port::Residual) {
            m_receiverPoints[r] = QPointF(box.center().x(), box.bottom());
        } else if (in.port == Port::Q || !graph.grouped()) {
            const QRectF head =
                nodeRect(in.port == Port::Q ? in.node : graph.headNode(in.layer, in.index));
            const double offset = in.port == Port::Q ? -1 : in.port == Port::K ? 0 : 1;
            m_receiverPoints[r] =
                QPointF(head.center().x() + offset * kHeadWidth / 3.0, head.bottom());
        } else {
            const QRectF bar = kvBar(in.layer, in.index);
            const double at = in.port == Port::K ? 1.0 / 3.0 : 2.0 / 3.0;
            m_receiverPoints[r] = QPointF(bar.left() + at * bar.width(), bar.bottom());
        }
    }
    m_bounds = QRectF(0, rowY(layers + 1) - kRow * 0.5, width, kRow * (layers + 2));
}

QPointF CircuitLayout::senderPoint(int node) const {
    const QRectF& r = m_nodeRects[static_cast<size_t>(node)];
    return QPointF(r.center().x(), r.top());
}

QRectF CircuitLayout::kvBar(int layer, int kvHead) const {
    if (!m_graph.grouped()) return {};
    const int group = m_graph.heads() / m_graph.kvHeads();
    const QRectF first = nodeRect(m_graph.headNode(layer, kvHead * group));
    const QRectF last = nodeRect(m_graph.headNode(layer, kvHead * group + group - 1));
    return QRectF(first.left(), first.bottom() + kBarGap, last.right() - first.left(), kBarHeight);
}

int CircuitLayout::rowOf(int node) const {
    const auto& n = m_graph.nodes()[static_cast<size_t>(node)];
    switch (n.kind) {
        case NodeKind::Input:
            return 0;
        case NodeKind::Logits:
            return m_graph.layers() + 1;
        default:
            return n.layer + 1;
    }
}

double CircuitLayout::rowY(int row) const {
    return (m_graph.layers() + 1 - row) * kRow;
}

int CircuitLayout::nodeAt(const QPointF& p) const {
    if (m_nodeRects.empty()) return -1;
    const int layers = m_graph.layers();
    // Candidates: the row whose band holds p (heads), the MLP raised into that band from the
    // row below, and the input and logits boxes.
    const int row = static_cast<int>(std::lround(layers + 1 - p.y() / kRow));
    std::vector<int> candidates{m_graph.inputNode(), m_graph.logitsNode()};
    for (int r : {row, row - 1}) {
        if (r < 1 || r > layers) continue;
        const int layer = r - 1;
        const int h = static_cast<int>(std::floor(p.x() / kColumn));
        if (h >= 0 && h < m_graph.heads()) candidates.push_back(m_graph.headNode(layer, h));
        candidates.push_back(m_graph.mlpNode(layer));
    }
    for (int n : candidates)
        if (nodeRect(n).contains(p)) return n;
    return -1;
}

}  // namespace attnscope::ui
