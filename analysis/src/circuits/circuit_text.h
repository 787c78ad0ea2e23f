#pragma once
// Message helpers shared by the circuit file readers (circuit_json.cpp, circuit_files.cpp).
#include <string>

#include "attnscope/analysis/circuits/circuit_files.h"

namespace attnscope::analysis::circuits::detail {

[[noreturn]] inline void fail(const std::string& source, const std::string& message) {
    throw CircuitFormatError(source + ": " + message);
}

/// "4 layers x 8 heads (8 KV heads)".
inline std::string shapeText(int layers, int heads, int kvHeads) {
    return std::to_string(layers) + " layers x " + std::to_string(heads) + " heads (" +
           std::to_string(kvHeads) + " KV heads)";
}
inline std::string shapeText(const EdgeGraph& g) {
    return shapeText(g.layers(), g.heads(), g.kvHeads());
}

}  // namespace attnscope::analysis::circuits::detail
