#pragma once
// Touches every piece of metadata a capture reader exposes, reading only small arrays.
// StoreError is expected; any other exception escapes to libFuzzer as a crash.
#include "attnscope/store/capture_reader.h"

namespace attnscope::store::fuzz {

void touchEverything(const CaptureReader& reader);

/// Opens `path` and walks it; a StoreError from the constructor is fine.
void openAndWalk(const std::filesystem::path& path);

}  // namespace attnscope::store::fuzz
