#pragma once
// The architecture-independent description of a checkpoint, read from config.json.
// Torch-free so that `info`, the memory estimate and the fuzz target need no LibTorch.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::capture {

enum class NormKind { LayerNorm, RmsNorm };
enum class MlpKind { Gelu, GatedSilu };  ///< GPT-2 MLP vs Llama SwiGLU
enum class PositionKind { Learned, Rotary };

/// RoPE frequency scaling as in Hugging Face `rope_scaling`.
struct RopeScaling {
    std::string type = "default";  ///< "default", "linear" or "llama3"
    double factor = 1.0;
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;
    int64_t originalMaxPositions = 8192;
};

struct ModelConfig {
    std::string architecture;  ///< e.g. "GPT2LMHeadModel", "LlamaForCausalLM"
    std::string modelType;     ///< config's model_type
    int64_t vocabSize = 0;
    int64_t dModel = 0;
    int64_t nLayers = 0;
    int64_t nHeads = 0;
    int64_t nKvHeads = 0;
    int64_t headDim = 0;
    int64_t dMlp = 0;
    int64_t maxPositions = 0;
    double normEps = 1e-5;
    std::string activation;  ///< "gelu_new", "gelu", "silu", "relu", ...
    NormKind norm = NormKind::LayerNorm;
    MlpKind mlp = MlpKind::Gelu;
    PositionKind positions = PositionKind::Learned;
    bool tiedEmbeddings = false;
    bool qkvBias = false;
    bool outBias = false;
    bool mlpBias = false;
    double ropeTheta = 10000.0;
    RopeScaling ropeScaling;
    std::optional<int64_t> slidingWindow;     ///< keys further back than this are masked
    int64_t slidingWindowFromLayer = 0;       ///< Qwen2: layers below this use full attention
    bool scaleAttnByInverseLayerIdx = false;  ///< GPT-2 option: scores / (layer + 1)
    std::optional<int64_t> bosTokenId;
    std::optional<int64_t> eosTokenId;
    std::string torchDtype;  ///< as declared in config.json (informational)
    std::string rawJson;     ///< the config.json text, stored in capture files

    /// Softmax scale of attention logits in `layer` (1/sqrt(d_head), GPT-2 options included).
    double attentionScale(int64_t layer) const;
    /// Whether `layer` uses the sliding window.
    bool usesSlidingWindow(int64_t layer) const;
    /// Number of parameters the architecture implies (for the memory estimate and `info`).
    int64_t parameterCount() const;
};

/// The architectures the runtime supports, for error messages and `info`.
const std::vector<std::string>& supportedArchitectures();

/// Parses config.json text. `label` (the file path) prefixes every error message.
/// Throws ModelLoadError naming the field for missing, mistyped or inconsistent values and for
/// unknown architectures (listing the supported ones).
ModelConfig parseModelConfig(const std::string& jsonText, const std::string& label);

/// Reads and parses `dir`/config.json.
ModelConfig loadModelConfig(const std::filesystem::path& dir);

}  // namespace attnscope::capture
