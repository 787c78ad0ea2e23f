#pragma once
// All tensors of a model folder: one model.safetensors or shards listed by
// model.safetensors.index.json. Tracks which tensors the architecture consumed so that
// unexpected tensors are reported instead of silently ignored.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attnscope/capture/safetensors_file.h"

namespace attnscope::capture {

class WeightSource {
public:
    /// Opens and validates every safetensors file of the folder `dir`.
    explicit WeightSource(const std::filesystem::path& dir);

    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;
    /// Converts what take() returns to `dtype` (F32 or BF16). Tensors already stored in it are
    /// returned as read-only views of the file (SafetensorsFile::view); others are converted
    /// into owned copies. Without a target dtype, tensors keep their stored dtype.
    void setTargetDType(DType dtype) { m_target = dtype; }
    /// Validation only: take() checks names, shapes and dtypes as usual but returns a
    /// placeholder of the right shape and dtype that reads no byte of the file.
    void setCheckOnly(bool checkOnly) { m_checkOnly = checkOnly; }

    /// `name` after checking its shape and dtype; marks it consumed. Throws ModelLoadError naming
    /// the file and tensor when it is missing or its shape differs from `expectedShape`.
    at::Tensor take(const std::string& name, const std::vector<int64_t>& expectedShape);

    struct Part {
        std::string name;
        std::vector<int64_t> shape;
    };
    /// The parts, checked as take() does, concatenated along dimension 0 (fused weights such as
    /// q/k/v): a view of the file when they are stored back to back in this order in the target
    /// dtype, else one owned copy, after which the file pages the copy read are released so that
    /// resident memory holds the copy only.
    at::Tensor takeConcatenated(const std::vector<Part>& parts);
    /// Marks a tensor as deliberately unused (buffers such as GPT-2's attn.bias, a tied lm_head).
    void ignore(const std::string& name);
    /// Throws if any tensor was neither taken nor ignored.
    void checkAllConsumed() const;

    /// Called after every take() with the bytes of tensor data taken so far and the total; it
    /// may throw to abandon the load (cancellation).
    using ReadObserver = std::function<void(uint64_t takenBytes, uint64_t totalBytes)>;
    void setReadObserver(ReadObserver observer) {
        m_observer = std::move(observer);
        m_observedTotal = totalBytes();
    }

    /// Total bytes of tensor data (for the memory estimate).
    uint64_t totalBytes() const;
    /// SHA-256 over every file's header bytes and size, in file-name order.
    std::string fingerprint() const;
    std::vector<std::filesystem::path> files() const;

private:
    struct Entry {
        const SafetensorsFile* file;
        const TensorInfo* info;
    };
    const Entry& entry(const std::string& name) const;
    /// entry(name) after the shape and dtype checks; marks it consumed.
    const Entry& checkedEntry(const std::string& name, const std::vector<int64_t>& expectedShape);
    void observe(const Entry& e);
    /// A tensor of `shape` in the target (else `stored`) dtype backed by one element.
    at::Tensor placeholder(const std::vector<int64_t>& shape, DType stored) const;

    std::filesystem::path m_dir;
    std::vector<std::unique_ptr<SafetensorsFile>> m_files;
    std::map<std::string, Entry> m_entries;
    std::set<std::string> m_consumed;
    std::optional<DType> m_target;
    bool m_checkOnly = false;
    ReadObserver m_observer;
    uint64_t m_takenBytes = 0;
    uint64_t m_observedTotal = 0;
};

}  // namespace attnscope::capture
