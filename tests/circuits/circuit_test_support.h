#pragma once
// Circuits with seeded pseudo-random scores and kept sets for the file and comparison tests.
#include <cstdint>

#include "attnscope/analysis/circuits/circuit.h"

namespace attnscope::analysis::circuits::test {

/// A circuit over EdgeGraph(layers, heads, kvHeads) with scores in [-1, 1] (a few exact
/// ties and one NaN), every edge kept with probability `keptShare`, a curve, CPR and CMD.
Circuit randomCircuit(int layers, int heads, int kvHeads, uint32_t seed, double keptShare = 0.2);

}  // namespace attnscope::analysis::circuits::test
