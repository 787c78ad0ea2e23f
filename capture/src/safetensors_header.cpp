#include "attnscope/capture/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {
namespace {

// A header larger than this is not a model checkpoint; refusing early avoids huge allocations
// on a corrupt length field (the reference implementation uses the same 100 MB bound).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

const std::map<std::string, DType>& dtypeNames() {
    static const std::map<std::string, DType> names = {
        {"F64", DType::F64}, {"F32", DType::F32},  {"F16", DType::F16}, {"BF16", DType::BF16},
        {"I64", DType::I64}, {"I32", DType::I32},  {"I16", DType::I16}, {"I8", DType::I8},
        {"U8", DType::U8},   {"BOOL", DType::Bool}};
    return names;
}

[[noreturn]] void fail(const std::string& label, const std::string& what) {
    throw ModelLoadError(label + ": " + what);
}

TensorInfo parseEntry(const std::string& label, const std::string& name, const nlohmann::json& e,
                      uint64_t dataSize) {
    const std::string where = "tensor '" + name + "'";
    if (!e.is_object()) fail(label, where + " is not a JSON object");
    TensorInfo info;
    info.name = name;

    auto dtypeIt = e.find("dtype");
    if (dtypeIt == e.end() || !dtypeIt->is_string()) fail(label, where + " has no string 'dtype'");
    auto known = dtypeNames().find(dtypeIt->get<std::string>());
    if (known == dtypeNames().end())
        fail(label, where + " has unknown dtype '" + dtypeIt->get<std::string>() + "'");
    info.dtype = known->second;

    auto shapeIt = e.find("shape");
    if (shapeIt == e.end() || !shapeIt->is_array()) fail(label, where + " has no 'shape' array");
    uint64_t numel = 1;
    for (const auto& d : *shapeIt) {
        if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
            fail(label, where + " has a shape entry that is not a non-negative integer");
        const uint64_t dim = d.get<uint64_t>();
        if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
            fail(label, where + " has a shape whose size overflows");
        numel *= dim;
        info.shape.push_back(static_cast<int64_t>(dim));
    }

    auto offIt = e.find("data_offsets");
    if (offIt == e.end() || !offIt->is_array() || offIt->size() != 2 ||
        !(*offIt)[0].is_number_unsigned() || !(*offIt)[1].is_number_unsigned())
        fail(label, where + " needs 'data_offsets' as two non-negative integers");
    info.begin = (*offIt)[0].get<uint64_t>();
    info.end = (*offIt)[1].get<uint64_t>();
    if (info.begin > info.end) fail(label, where + " has data_offsets with begin > end");
    if (info.end > dataSize)
        fail(label, where + " has data_offsets [" + std::to_string(info.begin) + ", " +
                        std::to_string(info.end) + ") beyond the data region of " +
                        std::to_string(dataSize) + " bytes (truncated file?)");
    const uint64_t elt = dtypeSize(info.dtype);
    if (numel > std::numeric_limits<uint64_t>::max() / elt || info.end - info.begin != numel * elt)
        fail(label, where + " occupies " + std::to_string(info.end - info.begin) +
                        " bytes but its dtype and shape need " + std::to_string(numel * elt));
    return info;
}

}  // namespace

std::size_t dtypeSize(DType dtype) {
    switch (dtype) {
        case DType::F64:
        case DType::I64:
            return 8;
        case DType::F32:
        case DType::I32:
            return 4;
        case DType::F16:
        case DType::BF16:
        case DType::I16:
            return 2;
        case DType::I8:
        case DType::U8:
        case DType::Bool:
            return 1;
    }
    return 1;
}

std::string dtypeName(DType dtype) {
    for (const auto& [name, d] : dtypeNames())
        if (d == dtype) return name;
    return "?";
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, std::size_t available,
                                         uint64_t fileSize, const std::string& label) {
    if (fileSize < 8 || available < 8)
        fail(label, "file is too short to be safetensors (" + std::to_string(fileSize) + " bytes)");
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | bytes[i];  // little-endian u64
    if (headerLen > kMaxHeaderBytes)
        fail(label, "header length " + std::to_string(headerLen) + " is implausibly large");
    if (headerLen > fileSize - 8)
        fail(label, "header length " + std::to_string(headerLen) + " runs beyond the file size " +
                        std::to_string(fileSize) + " (truncated file?)");
    if (8 + headerLen > available) fail(label, "header is not fully readable");

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes + 8, bytes + 8 + headerLen);
    } catch (const nlohmann::json::exception& e) {
        fail(label, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(label, "header is not a JSON object");

    SafetensorsHeader result;
    result.dataOffset = 8 + headerLen;
    const uint64_t dataSize = fileSize - result.dataOffset;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) fail(label, "__metadata__ is not an object");
            for (const auto& [k, v] : entry.items())
                if (v.is_string()) result.metadata[k] = v.get<std::string>();
            continue;
        }
        result.tensors.emplace(name, parseEntry(label, name, entry, dataSize));
    }

    std::vector<const TensorInfo*> byOffset;
    for (const auto& [name, info] : result.tensors)
        if (info.end > info.begin) byOffset.push_back(&info);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < byOffset.size(); ++i)
        if (byOffset[i]->begin < byOffset[i - 1]->end)
            fail(label, "tensors '" + byOffset[i - 1]->name + "' and '" + byOffset[i]->name +
                            "' overlap in the data region");
    return result;
}

}  // namespace attnscope::capture
