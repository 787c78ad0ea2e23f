#pragma once
// Loading a Hugging Face model folder into a TransformerModel.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "attnscope/capture/model_config.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {

class TransformerModel;

enum class ComputeDType { Float32, BFloat16 };

/// "float32"/"f32"/"fp32" or "bfloat16"/"bf16"; throws InputError otherwise.
ComputeDType parseComputeDType(const std::string& text);
std::string computeDTypeName(ComputeDType dtype);

struct LoadOptions {
    ComputeDType dtype = ComputeDType::Float32;
    std::string device = "cpu";  ///< any LibTorch device string: "cpu", "cuda", "cuda:1"
    bool checkMemory = true;     ///< refuse to load when the weights would not fit in RAM
    /// Reports the fraction of the weight bytes read as tensors are read ("reading weights");
    /// polled after every tensor: once cancelled, the load stops by throwing Cancelled.
    Progress progress;
    /// On the CPU, weights already stored in the compute dtype are read-only views of the
    /// memory-mapped checkpoint (no copy, no load time; pages are read on first use). Set this
    /// to get owned, writable copies instead (training). See TransformerModel::ownWeights().
    bool writableWeights = false;
};

/// Memory the weights need in the chosen dtype, and what the machine has.
struct MemoryEstimate {
    uint64_t weightBytes = 0;
    uint64_t availableBytes = 0;  ///< MemAvailable from /proc/meminfo (0 if unknown)
};
MemoryEstimate estimateMemory(const ModelConfig& config, ComputeDType dtype);

/// Loads `dir` (config.json + model.safetensors or sharded safetensors). Validates every header
/// before any tensor is made; throws ModelLoadError naming the file and the problem. Never
/// executes code from the folder. On the CPU the model shares memory with the files (see
/// LoadOptions::writableWeights): they must not be changed in place while it is open.
std::shared_ptr<TransformerModel> loadModel(const std::filesystem::path& dir,
                                            const LoadOptions& options = {});

/// What a model folder holds, read from config.json and the safetensors headers only.
struct ModelSummary {
    ModelConfig config;
    std::string fingerprint;   ///< as TransformerModel::fingerprint() after loadModel
    uint64_t weightBytes = 0;  ///< tensor data in the files
};
/// Checks `dir` as loadModel does (config, headers, every tensor's name, shape and dtype against
/// the architecture) without reading any weight: time and memory do not grow with the weights.
ModelSummary inspectModel(const std::filesystem::path& dir);

/// Throws InputError when `device` is not a device string or names a device this LibTorch
/// build cannot use ("this LibTorch build has no CUDA support, use --device cpu").
void checkDevice(const std::string& device);

}  // namespace attnscope::capture
