#pragma once
// Where the circuit graph's nodes, ports and edges lie, in graph units (the view scales them).
// Layers are rows from the input (bottom) to the logits (top); heads follow the head atlas's
// order (head 0 on the left) with the layer's MLP beside them, raised so that the edges from
// its own layer's heads run upwards. Each head has q, k and v ports on its lower side; a GQA
// model's k and v ports sit on a bar under each KV head's group. Plain geometry, built in
// O(nodes + receivers) whatever the edge count; edge ends are looked up per edge.
#include <QPointF>
#include <QRectF>

#include <vector>

#include "attnscope/analysis/circuits/edge_graph.h"

namespace attnscope::ui {

class CircuitLayout {
public:
    static constexpr double kColumn = 64;  ///< horizontal distance of two heads
    static constexpr double kRow = 120;    ///< vertical distance of two layers
    static constexpr double kHeadWidth = 48;
    static constexpr double kHeadHeight = 26;

    CircuitLayout() = default;
    explicit CircuitLayout(const analysis::circuits::EdgeGraph& graph);

    const analysis::circuits::EdgeGraph& graph() const { return m_graph; }
    QRectF bounds() const { return m_bounds; }

    QRectF nodeRect(int node) const { return m_nodeRects[static_cast<size_t>(node)]; }
    /// Where a node's output leaves it (the middle of its upper side).
    QPointF senderPoint(int node) const;
    /// Where a receiving input (q/k/v port, MLP or logits input) takes its edges.
    QPointF receiverPoint(int receiver) const {
        return m_receiverPoints[static_cast<size_t>(receiver)];
    }
    /// A GQA KV head's port bar (empty rect for an ungrouped model).
    QRectF kvBar(int layer, int kvHead) const;

    QPointF edgeStart(int64_t edge) const { return senderPoint(m_graph.edgeSender(edge)); }
    QPointF edgeEnd(int64_t edge) const { return receiverPoint(m_graph.edgeReceiver(edge)); }

    /// The node whose box contains `p` (graph units), or -1. Arithmetic on the grid, O(1).
    int nodeAt(const QPointF& p) const;
    /// The row a node is drawn in: 0 for the input, 1 + layer for heads and MLPs, and
    /// layers + 1 for the logits (for layer-to-layer bundles).
    int rowOf(int node) const;
    double rowY(int row) const;  ///< the centre line of a row

private:
    analysis::circuits::EdgeGraph m_graph;
    QRectF m_bounds;
    std::vector<QRectF> m_nodeRects;
    std::vector<QPointF> m_receiverPoints;
};

}  // namespace attnscope::ui
