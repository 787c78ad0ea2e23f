#pragma once

#include "attnscope/ui/circuit_edge_index.h"
#include "attnscope/ui/circuit_layout.h"
#include "attnscope/ui/circuit_ranking.h"

#include <QFutureWatcher>
#include <QHash>
#include <QWidget>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

class QMenu;

namespace attnscope::ui {

/// The circuit as a graph (see CircuitLayout for where things lie). Kept edges are coloured
/// by the sign of their score on a colour-blind-safe diverging pair (red +, blue −) and are
/// √|score| wide; edges removed by an edit are grey and dashed. With a comparison circuit B,
/// edges are coloured A only / B only / both instead. A legend says how scores were
/// normalised.
///
/// Scale: at most edgeBudget() of the shown edges are drawn, best-ranked first, among those
/// that cross the viewport; the rest are bundled layer to layer (one band per pair of rows,
/// its width by the edges it stands for). Picking uses a grid over the drawn edges, never a
/// scan of all edges. A circuit is ranked off the GUI thread (graphReady() when done), so a
/// graph of a million edges opens without freezing the window.
///
/// Mouse: wheel zooms about the pointer, drag pans, double-click fits; a click on a node emits
/// nodeClicked (and headClicked for a head), a click on an edge edgeClicked; hovering shows a
/// node's or an edge's score, rank and effect when removed; right-click on a node pins it
/// (its edges are always drawn) or hides it. GUI thread only.
class CircuitGraphView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kDefaultEdgeBudget = 3000;
    /// Edges within this many pixels of the pointer are picked.
    static constexpr double kPickRadius = 5.0;

    explicit CircuitGraphView(QWidget* parent = nullptr);
    ~CircuitGraphView() override;

    /// Shows `circuit`: ranks its edges (by |score|, or by the signed score as the
    /// faithfulness curve and CPR do) off the GUI thread, then lays it out, fits it to the view
    /// and emits graphReady(). The kept edges start as the circuit's own inCircuit.
    void setCircuit(std::shared_ptr<const Circuit> circuit, bool absoluteRanking = true);
    /// Shows an already ranked circuit at once (no background work).
    void setRanking(std::shared_ptr<const CircuitRanking> ranking);
    void clear();
    bool isReady() const { return m_ranking != nullptr; }
    std::shared_ptr<const CircuitRanking> ranking() const { return m_ranking; }
    const CircuitLayout& layout() const { return m_layout; }

    /// The current circuit (one byte per edge: 1 = kept) and the edges an edit removed.
    void setKeptEdges(std::vector<uint8_t> kept, std::vector<int64_t> removed = {});
    const std::vector<uint8_t>& keptEdges() const { return m_kept; }
    /// Compares with circuit B (its inCircuit); null ends the comparison. B must have the
    /// same graph (the caller checks).
    void setComparison(std::shared_ptr<const Circuit> other);
    bool comparing() const { return m_other != nullptr; }

    /// The exact effect on faithfulness of removing `edge` from the current circuit, once the
    /// caller measured it (shown on hover instead of the estimate).
    void setRemovalEffect(int64_t edge, double deltaFaithfulness);
    /// The measured effect of removing `edge`, NaN until measured.
    double removalEffect(int64_t edge) const { return m_effects.value(edge, NAN); }
    /// The same for a node: removing every edge it sends or receives (edgesOf(node)).
    void setNodeRemovalEffect(int node, double deltaFaithfulness);
    double nodeRemovalEffect(int node) const { return m_nodeEffects.value(node, NAN); }
    /// Every edge a node sends or receives.
    std::vector<int64_t> edgesOf(int node) const;

    void setSelectedNode(int node);
    int selectedNode() const { return m_selectedNode; }
    /// Selects the node of head (layer, head); false when there is no such head.
    bool selectHead(int layer, int head);
    void setPinned(int node, bool pinned);
    bool isPinned(int node) const { return m_pinned.count(node) > 0; }
    void setHidden(int node, bool hidden);
    bool isHidden(int node) const { return m_hidden.count(node) > 0; }
    void showAllNodes();

    void setEdgeBudget(int budget);
    int edgeBudget() const { return m_budget; }

    /// View transform: screen = graph * scale + offset.
    void fitToView();
    void zoomBy(double factor, const QPointF& screenAnchor);
    void panBy(const QPointF& screenDelta);
    double scale() const { return m_scale; }
    QPointF toScreen(const QPointF& graph) const { return graph * m_scale + m_offset; }
    QPointF toGraph(const QPointF& screen) const { return (screen - m_offset) / m_scale; }

    int nodeAtScreen(const QPointF& pos) const;
    /// The drawn edge within kPickRadius of `pos` (the nearest), or -1.
    int64_t edgeAtScreen(const QPointF& pos) const;
    /// Screen position of the middle of an edge (for tests and tooltips).
    QPointF edgeMidpoint(int64_t edge) const;
    QPointF nodeCentre(int node) const { return toScreen(m_layout.nodeRect(node).center()); }

    QString describeEdge(int64_t edge) const;
    QString describeNode(int node) const;
    QString legendText() const;
    /// For the current viewport: edges drawn one by one, and edges folded into bundles.
    int drawnEdgeCount() const {
        ensureDrawn();
        return static_cast<int>(m_drawn.size());
    }
    int64_t bundledEdgeCount() const {
        ensureDrawn();
        return m_bundled;
    }

    /// Writes the whole graph, fitted, at `size` to PNG, SVG or PDF (by suffix). False with
    /// `*error` set on an unknown suffix or a failed write.
    bool exportTo(const QString& path, QSize size = {}, QString* error = nullptr);
    /// Draws the graph into `target` with the current transform (what paintEvent does).
    void render(QPainter& painter, const QRectF& target);

    QSize sizeHint() const override { return {640, 480}; }

Q_SIGNALS:
    void graphReady();
    void edgeClicked(qint64 edge);
    void nodeClicked(int node);
    void headClicked(int layer, int head);
    /// The pointer rests on an edge (to measure its effect when removed).
    void edgeHovered(qint64 edge);
    /// The pointer rests on a node (to measure its effect when removed).
    void nodeHovered(int node);
    void nodesChanged();  ///< pinned or hidden nodes changed

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    struct Bundle {
        int64_t edges = 0;
        double weight = 0;
    };
    // circuit_graph_view.cpp
    void rebuildShown();
    bool edgeVisible(int64_t edge) const;
    bool isShown(int64_t edge) const;
    std::pair<int, int> rowPair(int64_t edge) const;
    double edgeWeight(int64_t edge) const;  ///< |score|, 0 when unscored
    const SegmentGrid& pickIndex() const;
    /// Collects the drawn edges and bundles for the current viewport when something changed.
    void ensureDrawn() const;
    void invalidate();
    // circuit_graph_paint.cpp
    void collectDrawn(const QRectF& graphViewport) const;
    void paintEdges(QPainter& p) const;
    void paintBundles(QPainter& p) const;
    void paintNodes(QPainter& p) const;
    void paintLegend(QPainter& p, const QRectF& target) const;

    QFutureWatcher<std::shared_ptr<const CircuitRanking>> m_ranker;
    quint64 m_rankGeneration = 0;
    std::shared_ptr<const CircuitRanking> m_ranking;
    std::shared_ptr<const Circuit> m_other;
    CircuitLayout m_layout;
    std::vector<uint8_t> m_kept;
    std::set<int64_t> m_removed;
    std::vector<int64_t> m_shown;  // kept, removed or B's edges, best-ranked first
    // The shown edges of visible nodes by (sender row, receiver row), for the bundles.
    std::map<std::pair<int, int>, Bundle> m_bundleTotals;
    QHash<qint64, double> m_effects;
    QHash<int, double> m_nodeEffects;  // measured against the current kept set, like m_effects
    std::set<int> m_pinned;
    std::set<int> m_hidden;
    int m_selectedNode = -1;
    int m_budget = kDefaultEdgeBudget;
    double m_scale = 1.0;
    QPointF m_offset;
    bool m_fitted = false;

    // For the current viewport: the edges drawn and the bundles of the rest (rebuilt when the
    // view or the circuit changed), and the pick index over the drawn edges.
    mutable bool m_drawnDirty = true;
    mutable std::vector<int64_t> m_drawn;
    mutable std::vector<std::pair<std::pair<int, int>, Bundle>> m_bundles;
    mutable int64_t m_bundled = 0;
    mutable std::unique_ptr<SegmentGrid> m_index;

    QPointF m_pressPos;
    bool m_dragging = false;
    int64_t m_hoverEdge = -1;
    int m_hoverNode = -1;
};

}  // namespace attnscope::ui
