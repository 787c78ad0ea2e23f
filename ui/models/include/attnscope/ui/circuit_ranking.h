#pragma once
// Edges of a circuit ranked by score, and "how much circuit" as an edge selection: the one
// control of the circuit panel (top-N edges, a share of all edges, or a score threshold τ).
// Plain values (no Qt): built once per circuit, off the GUI thread for large graphs.
#include <cstdint>
#include <memory>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"

namespace attnscope::ui {

using analysis::circuits::Circuit;
/// Circuits are shared, never copied, between the controller and the views.
using CircuitPtr = std::shared_ptr<const Circuit>;

/// How the amount control reads its number.
enum class CircuitAmount {
    TopEdges,  ///< the N highest-ranked edges
    Percent,   ///< that share (in percent) of all edges, rounded to whole edges
    Threshold  ///< every edge whose ranking score is at least τ
};

/// A circuit's edges ordered by score: by |score| (absolute, the CMD convention) or by the
/// signed score (CPR), ties broken by edge index, unscored (NaN) edges last. Node scores are
/// the sums of |score| over each node's incoming and outgoing edges.
struct CircuitRanking {
    std::shared_ptr<const Circuit> circuit;
    bool absolute = true;
    std::vector<int64_t> order;     ///< edges, best first
    std::vector<int64_t> rank;      ///< per edge: its position in `order` (0 = best)
    std::vector<double> nodeScore;  ///< per node
    std::vector<int> nodeRank;      ///< per node: 0 = largest node score
    double maxAbsScore = 0.0;       ///< over scored edges (0 when none)

    int64_t edgeCount() const { return static_cast<int64_t>(order.size()); }
    /// The score the ranking sorts by (|score| or score; -inf for NaN).
    double rankingScore(int64_t edge) const;
};

/// Ranks `circuit`'s edges (O(E log E); 1.6 M edges take a fraction of a second).
std::shared_ptr<const CircuitRanking> rankCircuit(std::shared_ptr<const Circuit> circuit,
                                                  bool absolute = true);

/// The (edge, position) cells of a circuit with per-position scores ranked as edges are
/// (entry e * T + p is edge e at position p): `circuit` of the result holds the cell scores
/// as its `scores`, and the node scores are empty. Null when `circuit` has no per-position
/// scores. The amount control then selects cells.
std::shared_ptr<const CircuitRanking> rankPositionCells(std::shared_ptr<const Circuit> circuit,
                                                        bool absolute = true);

/// How many edges `value` selects in `mode`: clamped to [0, all edges].
int64_t selectedEdgeCount(const CircuitRanking& ranking, CircuitAmount mode, double value);

/// The kept-edge mask of the top `count` edges, with `removed` edges dropped (edits).
std::vector<uint8_t> topEdgesMask(const CircuitRanking& ranking, int64_t count,
                                  const std::vector<int64_t>& removed = {});

/// The amount control's value that selects exactly `count` edges in `mode` (for a click on
/// the faithfulness curve): count itself, its percentage, or the count-th edge's score.
double amountForEdgeCount(const CircuitRanking& ranking, CircuitAmount mode, int64_t count);

}  // namespace attnscope::ui
