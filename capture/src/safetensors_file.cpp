#include "attnscope/capture/safetensors_file.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/mapped_file.h"

namespace attnscope::capture {

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

const TensorInfo& SafetensorsFile::entry(const std::string& name) const {
    auto it = m_header.tensors.find(name);
    if (it == m_header.tensors.end())
        throw ModelLoadError(m_path.string() + ": no tensor named '" + name + "'");
    return it->second;
}

at::Tensor SafetensorsFile::read(const std::string& name) const {
    const TensorInfo& info = entry(name);
    at::Tensor out = at::empty(info.shape, at::TensorOptions().dtype(scalarType(info.dtype)));
    // memcpy rather than from_blob: the mapped bytes need not be aligned for the dtype.
    if (info.end > info.begin)
        std::memcpy(out.data_ptr(), m_map->data() + m_header.dataOffset + info.begin,
                    info.end - info.begin);
    return out;
}

at::Tensor SafetensorsFile::view(const std::string& name) const {
    const TensorInfo& info = entry(name);
    const uint8_t* bytes = m_map->data() + m_header.dataOffset + info.begin;
    // The header was validated against the file size when the file was opened, so [begin, end)
    // lies inside the mapping. Elements not aligned for their type (legal in the format, never
    // written by the reference writer) are undefined behaviour in the kernels: those are copied.
    const auto type = scalarType(info.dtype);
    if (info.end == info.begin || reinterpret_cast<uintptr_t>(bytes) % dtypeSize(info.dtype) != 0)
        return read(name);
    std::shared_ptr<MappedFile> keepAlive = m_map;
    return at::from_blob(
        const_cast<uint8_t*>(bytes), info.shape, [keepAlive](void*) {},
        at::TensorOptions().dtype(type));
}

at::Tensor SafetensorsFile::viewConcatenated(const std::vector<std::string>& names) const {
    if (names.empty()) return {};
    const TensorInfo& first = entry(names.front());
    if (first.shape.empty()) return {};
    std::vector<int64_t> shape = first.shape;
    const TensorInfo* previous = &first;
    for (std::size_t i = 1; i < names.size(); ++i) {
        const TensorInfo& next = entry(names[i]);
        const bool sameTrailing =
            next.shape.size() == shape.size() &&
            std::equal(next.shape.begin() + 1, next.shape.end(), shape.begin() + 1);
        if (next.dtype != first.dtype || !sameTrailing || next.begin != previous->end) return {};
        shape[0] += next.shape[0];
        previous = &next;
    }
    const uint8_t* bytes = m_map->data() + m_header.dataOffset + first.begin;
    if (previous->end == first.begin ||
        reinterpret_cast<uintptr_t>(bytes) % dtypeSize(first.dtype) != 0)
        return {};
    // The span [first.begin, last.end) is inside the mapping: each part was validated.
    std::shared_ptr<MappedFile> keepAlive = m_map;
    return at::from_blob(
        const_cast<uint8_t*>(bytes), shape, [keepAlive](void*) {},
        at::TensorOptions().dtype(scalarType(first.dtype)));
}

bool SafetensorsFile::contains(const void* address) const {
    return m_map->contains(address);
}

void SafetensorsFile::releasePages(const std::string& name) const {
    const TensorInfo& info = entry(name);
    m_map->releasePages(m_header.dataOffset + info.begin, info.end - info.begin);
}

}  // namespace attnscope::capture
