#pragma once
// Moving circuits between tools and comparing them (spec 6.8): EAP-IG graph JSON, Graphviz
// DOT, ROC AUC of edge (and node) scores against a reference circuit, and the overlap of two
// circuits. Torch-free: the CLI, the GUI and the file readers use it.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"

namespace attnscope::analysis::circuits {

/// Thrown when circuit text (JSON) or two circuits do not fit together. The message names
/// the source (file) and the key or edge at fault.
struct CircuitFormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The EAP-IG graph JSON of `Graph.to_json` (hannamw/EAP-IG src/eap/graph.py):
/// `{"cfg": {"n_layers", "n_heads", "parallel_attn_mlp": false, "d_model"},
///   "nodes": {name: {"in_graph"}}, "edges": {name: {"score", "in_graph"}}}`
/// plus the key `"attnscope"` with what EAP-IG does not know (method, metric, ablation,
/// parameters, fingerprint, n_kv_heads, curve, cpr, cmd). EAP-IG's from_json reads it for
/// models without grouped-query attention. `d_model` comes from parameters["d_model"] (0 when
/// absent). Unscored (NaN) edges are written with score 0. Per-position scores go into
/// `"attnscope"` as `"positions": T` and `"position_scores"`: one flat array of edges × T
/// numbers in edge order (the order of `edges`), [edges, positions] row-major.
std::string circuitToJson(const Circuit& circuit);
/// Reads EAP-IG graph JSON (ours or EAP-IG's own). `source` names the file in errors. Edges
/// the file does not list get a NaN score and are not in the circuit. Throws
/// CircuitFormatError naming the source and the key (`edges["a0.h1->m0"].score`).
Circuit circuitFromJson(const std::string& text, const std::string& source);

/// Graphviz DOT of the kept edges (every edge when none is kept): nodes by layer as ranks,
/// edge colour by sign, pen width by |score|, the q/k/v port as the edge label.
std::string circuitToDot(const Circuit& circuit);

/// The area under the ROC curve of `scores` (|score| when `absolute`) as a classifier of
/// `reference` (1 = in the reference circuit), sweeping the threshold over every score; ties
/// count one half (the Mann-Whitney statistic). NaN scores rank lowest. Throws
/// std::invalid_argument when the sizes differ or the reference has no positive or no
/// negative.
double rocAuc(const std::vector<float>& scores, const std::vector<uint8_t>& reference,
              bool absolute = true);

/// Per node of `graph` (in node order), the largest |edge score| over the edges it sends or
/// receives: the threshold at which it first enters a thresholded circuit. Input and logits
/// get NaN (they are in every circuit).
std::vector<float> nodeScores(const EdgeGraph& graph, const std::vector<float>& edgeScores);
/// Per node: 1 when a kept edge touches it (input and logits included when any edge is kept).
std::vector<uint8_t> nodesInCircuit(const EdgeGraph& graph, const std::vector<uint8_t>& kept);
/// ROC AUC over the heads and MLPs: nodeScores of `scores` against the nodes of `reference`.
double nodeRocAuc(const EdgeGraph& graph, const std::vector<float>& scores,
                  const std::vector<uint8_t>& referenceEdges);

/// Overlap of two circuits over the same graph (spec 6.8, 6.1): heads are the attention
/// heads touched by a kept edge; edges are the kept edges.
struct CircuitOverlap {
    int64_t headsA = 0, headsB = 0, headsBoth = 0, headsEither = 0;
    int64_t edgesA = 0, edgesB = 0, edgesBoth = 0, edgesEither = 0;
    double headJaccard = 0.0;      ///< |A∩B| / |A∪B| over heads (0 when both are empty)
    double headContainment = 0.0;  ///< |A∩B| / |A| over heads (0 when A is empty)
    double edgeJaccard = 0.0;
    double edgeContainment = 0.0;
};
/// Throws CircuitFormatError when the graphs differ in shape.
CircuitOverlap overlap(const Circuit& a, const Circuit& b);

/// Throws CircuitFormatError "<source>: ..." unless `circuit` was made for this model: same
/// graph shape (layers, heads, KV heads) and, when both are known, the same fingerprint.
void checkCircuitFitsModel(const Circuit& circuit, int layers, int heads, int kvHeads,
                           const std::string& fingerprint, const std::string& source);

}  // namespace attnscope::analysis::circuits
