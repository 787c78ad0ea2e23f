#include "attnscope/capture/safetensors_writer.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace attnscope::capture {
namespace {

std::string dtypeTag(at::ScalarType t) {
    switch (t) {
        case at::kFloat:
            return "F32";
        case at::kHalf:
            return "F16";
        case at::kBFloat16:
            return "BF16";
        case at::kDouble:
            return "F64";
        case at::kLong:
            return "I64";
        case at::kInt:
            return "I32";
        case at::kByte:
            return "U8";
        case at::kBool:
            return "BOOL";
        default:
            throw std::runtime_error("safetensors: unsupported dtype for writing");
    }
}

}  // namespace

void writeSafetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    std::vector<at::Tensor> data;
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
        const uint64_t bytes = t.numel() * t.element_size();
        header[name] = {{"dtype", dtypeTag(t.scalar_type())},
                        {"shape", t.sizes().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(t);
    }
    std::string json = header.dump();
    // Pad the header with spaces so the data region starts 8-byte aligned, as HF does.
    json.append((8 - (json.size() % 8)) % 8, ' ');

    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(tmp + ": cannot open for writing");
        const uint64_t len = json.size();
        for (int i = 0; i < 8; ++i)
            out.put(static_cast<char>((len >> (8 * i)) & 0xff));
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
        for (const auto& t : data)
            out.write(static_cast<const char*>(t.data_ptr()),
                      static_cast<std::streamsize>(t.numel() * t.element_size()));
        if (!out) throw std::runtime_error(tmp + ": write failed");
    }
    std::filesystem::rename(tmp, path);
}

}  // namespace attnscope::capture
