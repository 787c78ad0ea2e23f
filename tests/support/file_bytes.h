#pragma once
// Whole files as strings of bytes, for tests that build or inspect files on disk.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace attnscope::test {

/// The bytes of `path` (empty when it cannot be read).
inline std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Replaces `path` with `bytes`.
inline void writeFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace attnscope::test
