#pragma once

#include "attnscope/ui/attention_map_snapshot.h"

#include <functional>

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

/// Writes the weights of query row `query`, keys [k0, k1), to out[0, k1 - k0): a map read
/// where it lives (shared pattern buffers), never copied whole.
using MapRowReader = std::function<void(int query, int k0, int k1, float* out)>;

/// makeTile() over a `queries` x `keys` map read row by row with `read`: only the rows of
/// the tile are read, so a tile of a long prompt costs its own area, not the map's.
AttentionMapSnapshot makeTile(int queries, int keys, const MapRowReader& read, int q0, int q1,
                              int k0, int k1, int maxRows, int maxCols, TilePooling pooling,
                              const QStringList& rowTokens = {}, const QStringList& colTokens = {});

}  // namespace attnscope::ui
