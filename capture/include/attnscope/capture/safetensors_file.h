#pragma once
// A memory-mapped safetensors file whose header has been validated before any tensor is read.
#include <filesystem>
#include <memory>

#include "attnscope/capture/safetensors_header.h"

namespace at {
class Tensor;
}

namespace attnscope::capture {

class MappedFile;

class SafetensorsFile {
public:
    /// Maps `path` read-only and validates its header (see parseSafetensorsHeader).
    explicit SafetensorsFile(const std::filesystem::path& path);

    const std::filesystem::path& path() const { return m_path; }
    const SafetensorsHeader& header() const { return m_header; }
    uint64_t fileSize() const;
    /// Raw bytes of the header (8-byte length + JSON), used for the weights fingerprint.
    std::string headerBytes() const;

    /// The tensor `name` as a CPU tensor of its stored dtype. The result owns its memory (a copy
    /// of the mapped bytes), so it stays valid after the file is closed or changed.
    at::Tensor read(const std::string& name) const;

private:
    std::filesystem::path m_path;
    std::shared_ptr<MappedFile> m_map;
    SafetensorsHeader m_header;
};

}  // namespace attnscope::capture
