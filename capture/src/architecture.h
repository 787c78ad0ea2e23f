#pragma once
// An architecture as the runtime knows it: the Hugging Face names that select it, how its
// config.json maps onto ModelConfig, and its table from checkpoint tensors to the runtime's
// fused weights. Torch-free, so that config parsing (`info`, the fuzz targets) needs no
// LibTorch; the weight table is data that the loader (architecture_weights.cpp) applies.
// Each architecture is one file in architectures/ plus one line in architectures/registry.cpp.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attnscope/capture/model_config.h"

namespace attnscope::capture {

class ConfigReader;

/// A runtime weight that checkpoint tensors fill.
enum class WeightSlot {
    Embed,            ///< [vocab, d_model]
    PosEmbed,         ///< [positions, d_model]
    Unembed,          ///< [vocab, d_model]
    FinalNormWeight,  ///< [d_model]
    FinalNormBias,
    Norm1Weight,  ///< per layer from here on
    Norm1Bias,
    Norm2Weight,
    Norm2Bias,
    QkvWeight,  ///< [(H + 2·H_kv)·d_head, d_model]
    QkvBias,
    OutWeight,  ///< [d_model, H·d_head]
    OutBias,
    MlpInWeight,  ///< [d_mlp or 2·d_mlp, d_model]
    MlpInBias,
    MlpOutWeight,  ///< [d_model, d_mlp]
    MlpOutBias,
};

struct CheckpointTensor {
    std::string name;
    std::vector<int64_t> shape;  ///< as stored in the checkpoint
};

/// One runtime weight and the checkpoint tensors it is made of.
struct WeightEntry {
    WeightSlot slot;
    int64_t layer = -1;                   ///< -1 for the model-level slots
    std::vector<CheckpointTensor> parts;  ///< concatenated along dimension 0, in this order
    bool transposed = false;              ///< stored [in, out] (GPT-2's Conv1D): one part only
};

struct WeightTable {
    std::vector<WeightEntry> entries;
    /// Tensors some checkpoints carry that hold no weights (mask buffers, RoPE tables, a tied
    /// lm_head): skipped when present.
    std::vector<std::string> ignoredIfPresent;
};

/// Whether the checkpoint holds a tensor of that name (prefix conventions differ by exporter).
using HasTensor = std::function<bool(const std::string& name)>;

struct Architecture {
    std::vector<std::string> names;       ///< config.json "architectures" values
    std::vector<std::string> modelTypes;  ///< "model_type" values of configs that lack them
    /// Fills the architecture's fields of `config` (the common ones are already read).
    void (*readConfig)(const ConfigReader& reader, ModelConfig& config);
    WeightTable (*weightTable)(const ModelConfig& config, const HasTensor& has);
};

/// Every registered architecture, in registration order.
const std::vector<const Architecture*>& registeredArchitectures();

/// The architecture of a config.json "architectures" name, or of a "model_type" when `name` is
/// empty; throws ModelLoadError ("label: ...") listing the registered names when none matches.
const Architecture& findArchitecture(const std::string& name, const std::string& modelType,
                                     const std::string& label);

}  // namespace attnscope::capture
