// Fuzzes the safetensors header parser: any byte string must parse or throw ModelLoadError.
#include <cstddef>
#include <cstdint>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto header = attnscope::capture::parseSafetensorsHeader(data, size, size, "fuzz");
        // Every accepted entry must lie inside the data region.
        for (const auto& [name, info] : header.tensors)
            if (info.end > size - header.dataOffset || info.begin > info.end) __builtin_trap();
    } catch (const attnscope::capture::ModelLoadError&) {
    }
    return 0;
}
