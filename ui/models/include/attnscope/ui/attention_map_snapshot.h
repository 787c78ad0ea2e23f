#pragma once

#include <QStringList>

#include <vector>

namespace attnscope::ui {

/// One head's attention map, or a tile of it, as an immutable value for the views.
///
/// `values` is row-major [query, key] with `rows * cols` entries. For long prompts a
/// tile covers query positions [rowOffset, rowOffset + rowExtent) and key positions
/// [colOffset, colOffset + colExtent) of the full map; when the tile is downsampled to
/// screen resolution, each cell summarises `rowExtent / rows` x `colExtent / cols`
/// source cells. An extent of 0 means "no downsampling" (extent == rows or cols).
/// `rowTokens`/`colTokens` label the tile's cells (one per row/column), may be empty.
struct AttentionMapSnapshot {
    int layer = 0;  // -1: a mean over every layer
    int head = 0;   // -1: a mean over the layer's heads
    /// What the view titles the map with ("Layer 2 · mean of 8 heads · baseline"); empty:
    /// the view names layer and head.
    QString title;
    int rows = 0;
    int cols = 0;
    std::vector<float> values;  // [query, key], row-major
    QStringList rowTokens;
    QStringList colTokens;
    int rowOffset = 0;  // tile origin (query) in the full map
    int colOffset = 0;  // tile origin (key) in the full map
    int rowExtent = 0;  // source query positions covered; 0 = rows
    int colExtent = 0;  // source key positions covered; 0 = cols

    float at(int row, int col) const { return values[static_cast<size_t>(row) * cols + col]; }
    int effectiveRowExtent() const { return rowExtent > 0 ? rowExtent : rows; }
    int effectiveColExtent() const { return colExtent > 0 ? colExtent : cols; }
    bool isValid() const {
        return rows > 0 && cols > 0 && values.size() == static_cast<size_t>(rows) * cols;
    }
};

}  // namespace attnscope::ui
