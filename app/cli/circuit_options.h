#pragma once
// The prompt pairs of the circuit commands: --data PAIRS.jsonl, or one typed pair
// (--clean/--corrupted/--answer/--wrong, or their -ids/-id forms).
#include <set>
#include <string>

#include "attnscope/app/circuit_session.h"
#include "cli_args.h"

namespace attnscope::app {

const std::set<std::string>& circuitPairOptionNames();
/// The pairs the arguments give; UsageError for a mix of forms or a typed pair with a part
/// missing. `required`: UsageError when none is given; otherwise an empty pairsPath and clean.
CircuitPairs circuitPairsFromArgs(const CliArgs& args, bool required);
/// Whether the arguments give any pairs.
bool hasCircuitPairs(const CircuitPairs& pairs);

}  // namespace attnscope::app
