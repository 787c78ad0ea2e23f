#pragma once
// Where the circuit graph's "positions as columns" mode puts things, in graph units. One
// column per token position, left to right, its token under it; inside a column the layers
// are rows from the input (bottom) to the logits (top), heads in the head atlas's order with
// the layer's MLP beside them, and q, k, v ports under each head (k and v under the first head
// of a KV head's group when grouped). The residual stream is position-local, so every edge
// runs inside one column: edge u→v at position p joins u's box in column p to v's port in
// column p. The logits read the last position only: their box sits over the last column.
#include <QPointF>
#include <QRectF>

#include <cstdint>

#include "attnscope/analysis/circuits/edge_graph.h"

namespace attnscope::ui {

class CircuitPositionLayout {
public:
    // Narrow columns and tall rows: many positions side by side still fit a wide view.
    static constexpr double kColumn = 30;  ///< horizontal distance of two heads in a column
    static constexpr double kRow = 220;    ///< vertical distance of two layers
    static constexpr double kHeadWidth = 24;
    static constexpr double kHeadHeight = 16;
    static constexpr double kGap = 30;  ///< between two position columns

    CircuitPositionLayout() = default;
    CircuitPositionLayout(const analysis::circuits::EdgeGraph& graph, int64_t positions);

    const analysis::circuits::EdgeGraph& graph() const { return m_graph; }
    int64_t positions() const { return m_positions; }
    QRectF bounds() const;
    double columnWidth() const { return (m_graph.heads() + 1) * kColumn + kGap; }
    /// The horizontal span of position p's column (without the gap).
    QRectF columnRect(int64_t position) const;
    /// Where position p's token text goes, under its column.
    QRectF tokenRect(int64_t position) const;

    /// Whether `node` is drawn at `position` (every node is, except the logits: last only).
    bool hasNode(int node, int64_t position) const;
    /// Nodes drawn over all columns: (nodes − 1) · positions + 1.
    int64_t drawnNodeCount() const;
    QRectF nodeRect(int node, int64_t position) const;
    QPointF senderPoint(int node, int64_t position) const;
    QPointF receiverPoint(int receiver, int64_t position) const;
    /// The ends of cell (edge, position): cell = edge · positions + position.
    QPointF cellStart(int64_t cell) const;
    QPointF cellEnd(int64_t cell) const;
    int64_t cellEdge(int64_t cell) const { return cell / m_positions; }
    int64_t cellPosition(int64_t cell) const { return cell % m_positions; }

    /// (node, position) whose box contains `p`, or node -1. O(1) arithmetic on the grid.
    std::pair<int, int64_t> nodeAt(const QPointF& p) const;

private:
    double rowY(int row) const { return (m_graph.layers() + 1 - row) * kRow; }
    int rowOf(int node) const;
    QRectF localNodeRect(int node) const;  // in column 0

    analysis::circuits::EdgeGraph m_graph;
    int64_t m_positions = 0;
};

}  // namespace attnscope::ui
