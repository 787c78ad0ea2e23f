// Fuzzes the memory-mapped path the loader takes: the input is written to a file, mapped
// read-only and its header parsed from the mapping, as SafetensorsFile does. Every tensor the
// header accepts must lie inside the mapping (each of its bytes is read), and releasing its
// pages must leave the bytes readable.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/mapped_file.h"
#include "attnscope/capture/safetensors_header.h"

namespace {

// One scratch file per process, in /dev/shm when it exists (a file write per input is most of
// the cost).
const std::filesystem::path& scratchPath() {
    static const std::filesystem::path path =
        (std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                   : std::filesystem::temp_directory_path()) /
        ("attnscope-fuzz-" + std::to_string(::getpid()) + ".safetensors");
    return path;
}

void writeScratch(const uint8_t* data, size_t size) {
    std::FILE* file = std::fopen(scratchPath().c_str(), "wb");
    if (!file) std::abort();
    if (size && std::fwrite(data, 1, size, file) != size) std::abort();
    std::fclose(file);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace attnscope::capture;
    writeScratch(data, size);
    try {
        const MappedFile map(scratchPath());
        const SafetensorsHeader header =
            parseSafetensorsHeader(map.data(), map.size(), map.size(), "fuzz");
        unsigned sum = 0;
        for (const auto& [name, info] : header.tensors) {
            if (info.begin > info.end || info.end > map.size() - header.dataOffset)
                __builtin_trap();
            const uint8_t* begin = map.data() + header.dataOffset + info.begin;
            const uint8_t* end = map.data() + header.dataOffset + info.end;
            // A byte outside the mapping faults here (SIGSEGV/SIGBUS): the fuzzer reports it.
            for (const uint8_t* p = begin; p < end; ++p)
                sum += *p;
            map.releasePages(header.dataOffset + info.begin, info.end - info.begin);
            for (const uint8_t* p = begin; p < end; ++p)
                sum -= *p;
        }
        if (sum != 0) __builtin_trap();  // released pages must read back the same bytes
    } catch (const ModelLoadError&) {
    }
    return 0;
}
