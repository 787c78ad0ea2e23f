#pragma once
// The circuit edge table under /results/circuits/<name> (docs/capture-format.md): one 1-D
// dataset per column, chunked and compressed, plus attributes for the graph shape, how the
// circuit was found and its faithfulness summary.
#include <hdf5.h>

#include <string>

#include "attnscope/store/capture_types.h"

namespace attnscope::store::detail {

inline constexpr const char* kCircuitsGroup = "circuits";

/// Upper bound on the rows of a circuit table (a Llama-3-70B graph has ~40 M edges): a corrupt
/// file cannot make the reader allocate without limit.
inline constexpr size_t kMaxCircuitEdges = size_t{1} << 27;
/// Upper bound on the positions of per-position scores (a context of 128 Ki tokens).
inline constexpr int64_t kMaxCircuitPositions = int64_t{1} << 17;
/// Upper bound on edges × positions of per-position scores (1 GiB of float32).
inline constexpr size_t kMaxCircuitPositionScores = size_t{1} << 28;

/// Checks `circuit` (equal column lengths, ports, node indices) and writes it as the group
/// `name` in `circuitsGroup`, replacing one of the same name.
void writeCircuitGroup(hid_t circuitsGroup, const std::string& name, const CircuitRecord& circuit);
/// Reads and checks the circuit group `name` of `circuitsGroup`.
CircuitRecord readCircuitGroup(hid_t circuitsGroup, const std::string& name);

}  // namespace attnscope::store::detail
