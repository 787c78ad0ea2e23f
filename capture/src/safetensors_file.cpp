#include "attnscope/capture/safetensors_file.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {

/// Owns a read-only private mapping of a whole file.
class MappedFile {
public:
    explicit MappedFile(const std::filesystem::path& path) {
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
        ::close(fd);
    }
    ~MappedFile() {
        if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    std::size_t size() const { return m_size; }

private:
    const uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

namespace {

at::ScalarType scalarType(DType d) {
    switch (d) {
        case DType::F64:
            return at::kDouble;
        case DType::F32:
            return at::kFloat;
        case DType::F16:
            return at::kHalf;
        case DType::BF16:
            return at::kBFloat16;
        case DType::I64:
            return at::kLong;
        case DType::I32:
            return at::kInt;
        case DType::I16:
            return at::kShort;
        case DType::I8:
            return at::kChar;
        case DType::U8:
            return at::kByte;
        case DType::Bool:
            return at::kBool;
    }
    return at::kFloat;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : m_path(path), m_map(std::make_shared<MappedFile>(path)) {
    m_header = parseSafetensorsHeader(m_map->data(), m_map->size(), m_map->size(), path.string());
}

uint64_t SafetensorsFile::fileSize() const {
    return m_map->size();
}

std::string SafetensorsFile::headerBytes() const {
    return std::string(reinterpret_cast<const char*>(m_map->data()), m_header.dataOffset);
}

at::Tensor SafetensorsFile::read(const std::string& name) const {
    auto it = m_header.tensors.find(name);
    if (it == m_header.tensors.end())
        throw ModelLoadError(m_path.string() + ": no tensor named '" + name + "'");
    const TensorInfo& info = it->second;
    at::Tensor out = at::empty(info.shape, at::TensorOptions().dtype(scalarType(info.dtype)));
    // memcpy rather than from_blob: the mapped bytes need not be aligned for the dtype.
    if (info.end > info.begin)
        std::memcpy(out.data_ptr(), m_map->data() + m_header.dataOffset + info.begin,
                    info.end - info.begin);
    return out;
}

}  // namespace attnscope::capture
