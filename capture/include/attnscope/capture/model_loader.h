#pragma once
// Loading a Hugging Face model folder into a TransformerModel.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "attnscope/capture/model_config.h"

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
    /// Called as tensors are read with the fraction of the weight bytes read so far.
    std::function<void(double fraction)> progress;
    /// Polled after every tensor: when set, the load stops by throwing LoadCancelled.
    const std::atomic<bool>* cancel = nullptr;
};

/// Thrown by loadModel when LoadOptions::cancel was set during the load.
struct LoadCancelled : std::runtime_error {
    LoadCancelled() : std::runtime_error("model load cancelled") {}
};

/// Memory the weights need in the chosen dtype, and what the machine has.
struct MemoryEstimate {
    uint64_t weightBytes = 0;
    uint64_t availableBytes = 0;  ///< MemAvailable from /proc/meminfo (0 if unknown)
};
MemoryEstimate estimateMemory(const ModelConfig& config, ComputeDType dtype);

/// Loads `dir` (config.json + model.safetensors or sharded safetensors). Validates everything
/// before allocating; throws ModelLoadError naming the file and the problem. Never executes
/// code from the folder.
std::shared_ptr<TransformerModel> loadModel(const std::filesystem::path& dir,
                                            const LoadOptions& options = {});

}  // namespace attnscope::capture
