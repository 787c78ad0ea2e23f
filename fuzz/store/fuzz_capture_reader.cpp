// Fuzzes the reader on raw bytes: the input is written to a file and opened as a capture.
// Note: HDF5 1.10.8 itself crashes on some corrupt files within seconds of fuzzing (see
// docs/capture-format.md, "Untrusted files"); fuzz_capture_structure covers our own parsing
// without tripping over those.
#include <cstddef>
#include <cstdint>

#include "fuzz_reader_walk.h"
#include "fuzz_scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& path = attnscope::store::fuzz::scratchPath("reader");
    attnscope::store::fuzz::writeScratch(path, data, size);
    attnscope::store::fuzz::openAndWalk(path);
    return 0;
}
