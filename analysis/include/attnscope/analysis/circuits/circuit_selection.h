#pragma once
// Circuits from per-edge scores (spec 6.7) and the areas under faithfulness curves (6.8).
// Torch-free: the GUI selects and prunes circuits with it too.
#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/analysis/circuits/edge_graph.h"

namespace attnscope::analysis::circuits {

/// The `count` edges of highest score (by |score| when `absolute`), then pruned. NaN scores
/// rank last; ties keep graph order. count is clamped to [0, edgeCount].
std::vector<uint8_t> selectTopEdges(const EdgeGraph& graph, const std::vector<float>& scores,
                                    int64_t count, bool absolute);

/// round(fraction · edgeCount), for --edge-fraction; throws std::invalid_argument unless
/// 0 <= fraction <= 1.
int64_t edgesForFraction(const EdgeGraph& graph, double fraction);

/// Drops every kept edge whose sender has no path of kept edges from `input` or whose receiver
/// has no path to `logits` (a head is reached through any of its q, k and v inputs).
std::vector<uint8_t> pruneDisconnected(const EdgeGraph& graph, std::vector<uint8_t> kept);

/// Area under faithfulness over the edge fraction (trapezoids; points in fraction order).
double circuitPerformanceRatio(const std::vector<FaithfulnessPoint>& curve);
/// Area under |1 − faithfulness| over the edge fraction.
double circuitMisfitDistance(const std::vector<FaithfulnessPoint>& curve);

}  // namespace attnscope::analysis::circuits
