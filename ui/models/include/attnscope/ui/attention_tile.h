#pragma once

#include "attnscope/ui/attention_map_snapshot.h"

namespace attnscope::ui {

/// Cuts the tile [q0, q1) x [k0, k1) out of a full map (rowOffset/colOffset 0) and, when
/// the tile has more than `maxCells` rows or columns, max-pools it down to at most
/// `maxCells` along each axis, so that a single strong weight stays visible. Ranges are
/// clamped to the map; the result carries the offsets, extents and, per cell, the
/// token of the first source position it covers. Usable as HeatmapView's tile
/// provider over a map held in memory.
AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxCells);

}  // namespace attnscope::ui
