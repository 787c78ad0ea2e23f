#pragma once
// A circuit: per-edge scores over an EdgeGraph, the selected edges, and how it was found and
// evaluated. A plain value (torch-free) shared by the analysis, the store, the CLI and the GUI.
#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/edge_graph.h"

namespace attnscope::analysis::circuits {

/// One point of a faithfulness curve (spec 6.8): the circuit of the top `edges` edges.
struct FaithfulnessPoint {
    double fraction = 0.0;  ///< edges / all edges
    int64_t edges = 0;
    double faithfulness = NAN;
};

/// The MIB edge-count grid, in percent of all edges (spec 6.8).
inline const std::vector<double>& faithfulnessGridPercent() {
    static const std::vector<double> grid{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100};
    return grid;
}

struct Circuit {
    EdgeGraph graph;
    std::string method;                                    ///< "eap", "eap-ig", "acdc", or "manual"
    std::string metric;                                    ///< "logit-diff" or "kl"
    std::string ablation;                                  ///< "resample", "zero" or "mean"
    nlohmann::json parameters = nlohmann::json::object();  ///< steps, threshold, dataset, ...
    std::string modelFingerprint;
    std::vector<float> scores;       ///< per edge, in graph order; NaN where not scored
    std::vector<uint8_t> inCircuit;  ///< per edge: 1 when the edge is kept
    /// Per-position scores (EAP and EAP-IG asked for them): the token count T of the pairs,
    /// 0 when there are none, and positionScores[e * T + p], edge e's score at position p
    /// ([edges, positions] row-major). `scores` is their sum over positions.
    int64_t positions = 0;
    std::vector<float> positionScores;
    std::vector<FaithfulnessPoint> curve;
    double cpr = NAN;  ///< area under faithfulness over the grid (signed scores)
    double cmd = NAN;  ///< area under |1 - faithfulness| (absolute scores)

    bool hasPositionScores() const { return positions > 0; }
    /// Edge e's score at position p (hasPositionScores() must hold).
    float positionScore(int64_t edge, int64_t position) const {
        return positionScores[static_cast<size_t>(edge * positions + position)];
    }
};

/// What ACDC has decided so far, after each receiver: the kept edges (untried ones are still
/// kept) and the scores measured (NaN for untried edges). Called on the thread running ACDC.
using AcdcObserver =
    std::function<void(const std::vector<uint8_t>& kept, const std::vector<float>& scores)>;

}  // namespace attnscope::analysis::circuits
