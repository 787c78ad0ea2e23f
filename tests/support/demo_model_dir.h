#pragma once
// Where the demo-model tests (demo, retrieval, safety) find the model they check.
#include <cstdlib>
#include <filesystem>

#include "fixture_paths.h"

namespace attnscope::test {

/// resources/models/demo, or the folder in ATTNSCOPE_DEMO_MODEL, to check the output of
/// `attnscope-cli train-demo --out DIR` before it replaces the shipped model.
inline std::filesystem::path demoModelDir() {
    if (const char* env = std::getenv("ATTNSCOPE_DEMO_MODEL")) return env;
    return sourceDir() / "resources" / "models" / "demo";
}

}  // namespace attnscope::test
