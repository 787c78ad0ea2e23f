#pragma once

#include "attnscope/ui/circuit_edge_index.h"
#include "attnscope/ui/circuit_position_layout.h"
#include "attnscope/ui/circuit_ranking.h"

#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

namespace attnscope::ui {

/// The circuit graph's "positions as columns" mode (CircuitPositionLayout): a circuit with
/// per-position scores drawn as one column per token position with the token under it, its
/// kept (edge, position) cells as edges inside their column, coloured by sign on the same
/// scale as CircuitGraphView and √|score| wide. The amount control of the panel selects the
/// cells (setKeptCells). At most edgeBudget() kept cells are drawn, best-ranked first; the
/// pointer picks through a grid over them. Wheel zooms, drag pans, double-click fits; hovering
/// shows a cell's edge, position, token, score and rank. GUI thread only.
class CircuitPositionsView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kDefaultEdgeBudget = 3000;
    static constexpr double kPickRadius = 5.0;

    explicit CircuitPositionsView(QWidget* parent = nullptr);

    /// Shows `cells` (rankPositionCells() of a circuit with per-position scores) with the
    /// column labels `tokens` (their position numbers when the count differs); no cell is kept
    /// until setKeptCells(). Null clears the view.
    void setRanking(std::shared_ptr<const CircuitRanking> cells, const QStringList& tokens);
    bool isReady() const { return m_ranking != nullptr; }
    const CircuitPositionLayout& layout() const { return m_layout; }
    /// One byte per cell (edge · positions + position): 1 = kept.
    void setKeptCells(std::vector<uint8_t> kept);
    const std::vector<uint8_t>& keptCells() const { return m_kept; }

    int64_t columnCount() const { return m_layout.positions(); }
    const QStringList& columnLabels() const { return m_tokens; }
    int64_t drawnNodeCount() const { return isReady() ? m_layout.drawnNodeCount() : 0; }
    /// Kept cells drawn one by one (best-ranked first, at most the budget).
    const std::vector<int64_t>& drawnCells() const { return m_drawn; }
    void setEdgeBudget(int budget);

    void fitToView();
    void zoomBy(double factor, const QPointF& screenAnchor);
    QPointF toScreen(const QPointF& g) const { return g * m_scale + m_offset; }
    QPointF toGraph(const QPointF& s) const { return (s - m_offset) / m_scale; }
    /// The drawn cell within kPickRadius of `pos` (the nearest), or -1.
    int64_t cellAtScreen(const QPointF& pos) const;
    QPointF cellMidpoint(int64_t cell) const;
    /// What hovering a cell shows: edge, position, token, score (the analysis value), rank.
    QString describeCell(int64_t cell) const;
    QString legendText() const;

    QSize sizeHint() const override { return {640, 480}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

private:
    void collectDrawn();
    void paintColumns(QPainter& p) const;
    void paintCells(QPainter& p) const;
    void paintLegend(QPainter& p) const;

    std::shared_ptr<const CircuitRanking> m_ranking;
    CircuitPositionLayout m_layout;
    QStringList m_tokens;
    std::vector<uint8_t> m_kept;
    std::vector<int64_t> m_drawn;
    std::unique_ptr<SegmentGrid> m_index;  // over m_drawn
    int m_budget = kDefaultEdgeBudget;
    double m_scale = 1.0;
    QPointF m_offset;
    QPointF m_pressPos;
    bool m_userMoved = false;  // zoomed or panned since the last fit
};

}  // namespace attnscope::ui
