#include "attnscope/capture/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {

MappedFile::MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ModelLoadError(path.string() + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        throw ModelLoadError(path.string() + ": cannot stat: " + std::strerror(errno));
    }
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size > 0) {
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            ::close(fd);
            throw ModelLoadError(path.string() + ": cannot map: " + std::strerror(errno));
        }
        m_data = static_cast<const uint8_t*>(p);
    }
    ::close(fd);  // the mapping keeps the file open
}

MappedFile::~MappedFile() {
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

bool MappedFile::contains(const void* address) const {
    const auto* p = static_cast<const uint8_t*>(address);
    return m_data != nullptr && p >= m_data && p < m_data + m_size;
}

void MappedFile::releasePages(uint64_t offset, uint64_t length) const {
    if (m_data == nullptr || offset >= m_size) return;
    length = std::min<uint64_t>(length, m_size - offset);
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<uintptr_t>(m_data + offset);
    const auto end = begin + length;
    // Only whole pages inside the range: the neighbours' bytes may be in use as views. Dropping
    // pages of a read-only private file mapping loses nothing, so a failure only costs memory.
    const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace attnscope::capture
