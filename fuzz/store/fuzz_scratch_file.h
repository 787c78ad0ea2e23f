#pragma once
// A per-process scratch file the fuzz targets write their input to (in /dev/shm when it
// exists: one file write per input is most of a target's cost).
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace attnscope::store::fuzz {

const std::filesystem::path& scratchPath(const char* suffix);
void writeScratch(const std::filesystem::path& path, const uint8_t* data, size_t size);

}  // namespace attnscope::store::fuzz
