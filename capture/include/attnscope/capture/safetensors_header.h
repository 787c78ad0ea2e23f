#pragma once
// Parsing and validation of a safetensors header, without LibTorch (the fuzz target and the
// memory estimate use it before any tensor exists).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope::capture {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// Bytes per element of a safetensors dtype.
std::size_t dtypeSize(DType dtype);
/// The safetensors spelling ("F32", "BF16", ...).
std::string dtypeName(DType dtype);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;  ///< byte offset from the start of the data region
    uint64_t end = 0;    ///< one past the last byte

    int64_t numel() const;
};

struct SafetensorsHeader {
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    uint64_t dataOffset = 0;  ///< where the data region starts in the file (8 + header length)
};

/// Parses and validates the header of a safetensors file held in `bytes` (the whole file, or at
/// least its header; `fileSize` is the full size). Checks the header length, the JSON, every
/// dtype, shape and offset pair, that sizes match shapes and that no two tensors overlap.
/// Throws ModelLoadError whose message starts with `label` (usually the file path).
SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, std::size_t available,
                                         uint64_t fileSize, const std::string& label);

}  // namespace attnscope::capture
