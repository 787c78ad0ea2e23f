#include "fuzz_scratch_file.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace attnscope::store::fuzz {

namespace fs = std::filesystem;

const fs::path& scratchPath(const char* suffix) {
    static std::map<std::string, fs::path> paths;
    fs::path& path = paths[suffix];
    if (path.empty()) {
        const fs::path dir =
            fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        path = dir / ("attnscope-fuzz-" + std::to_string(::getpid()) + "-" + suffix + ".h5");
    }
    return path;
}

void writeScratch(const fs::path& path, const uint8_t* data, size_t size) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) std::abort();
    if (size && std::fwrite(data, 1, size, file) != size) std::abort();
    std::fclose(file);
}

}  // namespace attnscope::store::fuzz
