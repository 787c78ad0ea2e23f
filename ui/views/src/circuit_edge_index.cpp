#include "attnscope/ui/circuit_edge_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::ui {

double distanceToSegment(const QPointF& p, const QLineF& s) {
    const QPointF d = s.p2() - s.p1();
    const double len2 = d.x() * d.x() + d.y() * d.y();
    double t = 0;
    if (len2 > 0) t = std::clamp(QPointF::dotProduct(p - s.p1(), d) / len2, 0.0, 1.0);
    const QPointF q = s.p1() + t * d;
    return std::hypot(p.x() - q.x(), p.y() - q.y());
}

SegmentGrid::SegmentGrid(const QRectF& bounds, double cell)
    : m_bounds(bounds), m_cell(std::max(cell, 1e-6)) {
    m_columns = std::max(1, static_cast<int>(std::ceil(bounds.width() / m_cell)));
    m_rows = std::max(1, static_cast<int>(std::ceil(bounds.height() / m_cell)));
    m_cells.resize(static_cast<size_t>(m_columns) * m_rows);
}

void SegmentGrid::insert(int64_t id, const QLineF& segment) {
    const auto index = static_cast<int32_t>(m_segments.size());
    m_segments.push_back(segment);
    m_ids.push_back(id);
    // Walk the segment in half-cell steps: every cell it crosses is visited (a cell is at least
    // one step wide), and a cell entered twice in a row is listed once.
    const double length = segment.length();
    const int steps = std::max(1, static_cast<int>(std::ceil(length / (m_cell * 0.5))));
    int last = -1;
    for (int i = 0; i <= steps; ++i) {
        const QPointF p = segment.pointAt(double(i) / steps);
        const int cx =
            std::clamp(static_cast<int>((p.x() - m_bounds.left()) / m_cell), 0, m_columns - 1);
        const int cy =
            std::clamp(static_cast<int>((p.y() - m_bounds.top()) / m_cell), 0, m_rows - 1);
        const int c = cellIndex(cx, cy);
        if (c == last) continue;
        last = c;
        auto& list = m_cells[static_cast<size_t>(c)];
        if (list.empty() || list.back() != index) list.push_back(index);
    }
}

int64_t SegmentGrid::nearest(const QPointF& p, double radius) const {
    // Half-cell steps may skip the corner of a cell a segment grazes: look one cell further.
    const int reach = static_cast<int>(std::ceil(radius / m_cell)) + 1;
    const int cx = static_cast<int>(std::floor((p.x() - m_bounds.left()) / m_cell));
    const int cy = static_cast<int>(std::floor((p.y() - m_bounds.top()) / m_cell));
    double best = radius;
    int32_t found = -1;
    for (int y = std::max(0, cy - reach); y <= std::min(m_rows - 1, cy + reach); ++y)
        for (int x = std::max(0, cx - reach); x <= std::min(m_columns - 1, cx + reach); ++x)
            for (int32_t s : m_cells[static_cast<size_t>(cellIndex(x, y))]) {
                const double d = distanceToSegment(p, m_segments[static_cast<size_t>(s)]);
                // Ties go to the segment inserted first (drawn first = the higher-ranked).
                if (d < best || (d == best && found >= 0 && s < found)) {
                    best = d;
                    found = s;
                }
            }
    return found < 0 ? -1 : m_ids[static_cast<size_t>(found)];
}

}  // namespace attnscope::ui
