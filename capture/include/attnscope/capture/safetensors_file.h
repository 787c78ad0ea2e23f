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

    /// The tensor `name` as a CPU tensor of its stored dtype that shares the mapped bytes (no
    /// copy) and keeps the mapping alive; an owned copy instead when the bytes are not aligned for
    /// the dtype. A view's memory is read-only: writing to it in place kills the process with
    /// SIGSEGV, so clone() it first. The file must not be changed in place while a view exists
    /// (truncating it raises SIGBUS on access); writers that rename a new file over it are safe.
    at::Tensor view(const std::string& name) const;

    /// When the tensors `names` are stored back to back in this order with one dtype and equal
    /// trailing dimensions, their concatenation along dimension 0 as one view (as view() does,
    /// no copy); an undefined tensor otherwise. Checkpoints written in module order (q, k, v;
    /// gate, up) fuse for free.
    at::Tensor viewConcatenated(const std::vector<std::string>& names) const;

    /// Whether `address` lies inside this file's mapping (a view shares memory with the file).
    bool contains(const void* address) const;

    /// Unmaps from this process the pages that hold only `name`'s bytes (they stay in the page
    /// cache). Call after copying a tensor so that resident memory counts the copy once; a later
    /// view of the same bytes simply faults them back in.
    void releasePages(const std::string& name) const;

private:
    const TensorInfo& entry(const std::string& name) const;

    std::filesystem::path m_path;
    std::shared_ptr<MappedFile> m_map;
    SafetensorsHeader m_header;
};

}  // namespace attnscope::capture
