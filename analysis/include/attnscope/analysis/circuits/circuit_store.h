#pragma once
// Circuit files: a circuit in the HDF5 `/results/circuits/<name>` group of a capture or
// session file (docs/capture-format.md), or EAP-IG graph JSON. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/store/capture_types.h"

namespace attnscope::analysis::circuits {

/// The store's edge table of `circuit` (sender, receiver, port, score, kept per edge).
store::CircuitRecord circuitToRecord(const Circuit& circuit);
/// The circuit of a stored edge table. Throws CircuitFormatError naming `source` and the row
/// or key at fault (an edge the graph lacks, a duplicate row, a bad shape).
Circuit circuitFromRecord(const store::CircuitRecord& record, const std::string& source);

/// Writes `circuit` to `path` by its extension: `.json` EAP-IG graph JSON, `.dot` Graphviz,
/// anything else an HDF5 circuit file (a capture file with no runs, `model` as its /model
/// group, the circuit as `/results/circuits/circuit`). Atomic (temporary file, then rename).
void writeCircuitFile(const std::filesystem::path& path, const Circuit& circuit,
                      const store::ModelInfo& model = {});
/// Reads an HDF5 circuit file (verified before HDF5 parses it; its first circuit) or EAP-IG
/// JSON, told apart by content. Throws store::StoreError or CircuitFormatError naming the file.
Circuit readCircuitFile(const std::filesystem::path& path);

}  // namespace attnscope::analysis::circuits
