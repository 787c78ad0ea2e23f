#pragma once
// A read-only memory mapping of a whole file, without LibTorch (the fuzz targets use it).
#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace attnscope::capture {

/// Owns a read-only private mapping (PROT_READ, MAP_PRIVATE) of a whole file. Pages are read
/// from the page cache on first access; nothing is copied. Not copyable; share it through a
/// shared_ptr to keep views of it alive.
class MappedFile {
public:
    /// Throws ModelLoadError naming `path` when it cannot be opened or mapped.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    /// Whether `address` lies inside the mapping.
    bool contains(const void* address) const;
    /// Unmaps from this process the whole pages inside [offset, offset + length) (madvise
    /// MADV_DONTNEED). They stay in the page cache and fault back in on the next access, so
    /// this only lowers resident memory. Ranges past the end are clipped.
    void releasePages(uint64_t offset, uint64_t length) const;

private:
    const uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

}  // namespace attnscope::capture
