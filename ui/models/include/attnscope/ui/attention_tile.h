#pragma once

#include "attnscope/ui/attention_map_snapshot.h"

namespace attnscope::ui {

/// How makeTile() summarises the source cells of one tile cell.
enum class TilePooling {
    Max,     // largest value (attention weights: a single strong weight stays visible)
    MaxAbs,  // value of largest magnitude, sign kept (differences)
};

/// Cuts the tile [q0, q1) x [k0, k1) out of a full map (rowOffset/colOffset 0) and, when
/// the tile has more than `maxCells` rows or columns, max-pools it down to at most
/// `maxCells` along each axis with `pooling`. Ranges are
/// clamped to the map; the result carries the offsets, extents and, per cell, the
/// token of the first source position it covers. Usable as HeatmapView's tile
/// provider over a map held in memory.
AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxCells, TilePooling pooling = TilePooling::Max);

/// makeTile() with separate limits for rows (queries) and columns (keys), for a plot area
/// that is not square.
AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxRows, int maxCols, TilePooling pooling);

}  // namespace attnscope::ui
