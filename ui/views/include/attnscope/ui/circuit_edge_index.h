#pragma once
// A uniform grid over line segments, for picking the edge under the pointer without a scan of
// every edge: each segment is listed in the cells it passes through, and a query looks only at
// the cells within its radius.
#include <QLineF>
#include <QPointF>
#include <QRectF>

#include <cstdint>
#include <vector>

namespace attnscope::ui {

class SegmentGrid {
public:
    /// Builds the grid over `bounds` with square cells of side `cell` (graph units).
    SegmentGrid(const QRectF& bounds, double cell);

    /// Adds segment `id` (any number; ids are returned by nearest()).
    void insert(int64_t id, const QLineF& segment);
    /// The id of the segment nearest to `p` within `radius`, or -1.
    int64_t nearest(const QPointF& p, double radius) const;
    size_t size() const { return m_segments.size(); }

private:
    int cellIndex(int cx, int cy) const { return cy * m_columns + cx; }

    QRectF m_bounds;
    double m_cell = 1;
    int m_columns = 1;
    int m_rows = 1;
    std::vector<std::vector<int32_t>> m_cells;  // indices into m_segments
    std::vector<QLineF> m_segments;
    std::vector<int64_t> m_ids;
};

/// The distance from `p` to the segment.
double distanceToSegment(const QPointF& p, const QLineF& segment);

}  // namespace attnscope::ui
