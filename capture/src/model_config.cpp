#include "attnscope/capture/model_config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& label, const std::string& what) {
    throw ModelLoadError(label + ": " + what);
}

// Reads the first of `keys` present; HF configs of different families spell fields differently.
std::optional<int64_t> optionalInt(const json& j, std::initializer_list<const char*> keys,
                                   const std::string& label) {
    for (const char* key : keys) {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) continue;
        if (!it->is_number_integer())
            fail(label, std::string("field '") + key + "' must be an integer");
        return it->get<int64_t>();
    }
    return std::nullopt;
}

int64_t requiredPositive(const json& j, std::initializer_list<const char*> keys,
                         const std::string& label) {
    auto value = optionalInt(j, keys, label);
    if (!value) fail(label, std::string("missing required field '") + *keys.begin() + "'");
    if (*value <= 0)
        fail(label, std::string("field '") + *keys.begin() + "' must be positive, got " +
                        std::to_string(*value));
    return *value;
}

double optionalNumber(const json& j, const char* key, double fallback, const std::string& label) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(label, std::string("field '") + key + "' must be a number");
    return it->get<double>();
}

bool optionalBool(const json& j, const char* key, bool fallback, const std::string& label) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(label, std::string("field '") + key + "' must be true or false");
    return it->get<bool>();
}

std::string optionalString(const json& j, const char* key, const std::string& fallback,
                           const std::string& label) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(label, std::string("field '") + key + "' must be a string");
    return it->get<std::string>();
}

// eos_token_id may be a list in newer Llama configs; the first entry is the primary one.
std::optional<int64_t> tokenId(const json& j, const char* key, const std::string& label) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (it->is_array() && !it->empty() && (*it)[0].is_number_integer())
        return (*it)[0].get<int64_t>();
    if (it->is_number_integer()) return it->get<int64_t>();
    fail(label, std::string("field '") + key + "' must be an integer or a list of integers");
}

std::string architectureOf(const json& j, const std::string& label) {
    auto it = j.find("architectures");
    if (it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_string())
        return (*it)[0].get<std::string>();
    if (it != j.end() && !it->is_null())
        fail(label, "field 'architectures' must be a non-empty list of strings");
    // Older configs name only the model type.
    const std::string type = optionalString(j, "model_type", "", label);
    if (type == "gpt2") return "GPT2LMHeadModel";
    if (type == "llama") return "LlamaForCausalLM";
    if (type == "mistral") return "MistralForCausalLM";
    if (type == "qwen2") return "Qwen2ForCausalLM";
    fail(label, "missing field 'architectures' (and no known 'model_type')");
}

void parseGpt2(const json& j, const std::string& label, ModelConfig& c) {
    c.vocabSize = requiredPositive(j, {"vocab_size"}, label);
    c.dModel = requiredPositive(j, {"n_embd", "hidden_size"}, label);
    c.nLayers = requiredPositive(j, {"n_layer", "num_hidden_layers"}, label);
    c.nHeads = requiredPositive(j, {"n_head", "num_attention_heads"}, label);
    c.nKvHeads = c.nHeads;
    c.maxPositions = requiredPositive(j, {"n_positions", "max_position_embeddings"}, label);
    auto inner = optionalInt(j, {"n_inner"}, label);
    c.dMlp = inner ? *inner : 4 * c.dModel;
    if (c.dMlp <= 0) fail(label, "field 'n_inner' must be positive");
    c.normEps = optionalNumber(j, "layer_norm_epsilon", 1e-5, label);
    c.activation = optionalString(j, "activation_function", "gelu_new", label);
    c.norm = NormKind::LayerNorm;
    c.mlp = MlpKind::Gelu;
    c.positions = PositionKind::Learned;
    c.tiedEmbeddings = optionalBool(j, "tie_word_embeddings", true, label);
    c.qkvBias = c.outBias = c.mlpBias = true;
    if (!optionalBool(j, "scale_attn_weights", true, label))
        fail(label, "scale_attn_weights=false is not supported");
    c.scaleAttnByInverseLayerIdx = optionalBool(j, "scale_attn_by_inverse_layer_idx", false, label);
    if (c.dModel % c.nHeads != 0)
        fail(label, "n_embd (" + std::to_string(c.dModel) + ") is not divisible by n_head (" +
                        std::to_string(c.nHeads) + ")");
    c.headDim = c.dModel / c.nHeads;
}

RopeScaling parseRopeScaling(const json& j, const std::string& label) {
    RopeScaling s;
    auto it = j.find("rope_scaling");
    if (it == j.end() || it->is_null()) return s;
    if (!it->is_object()) fail(label, "field 'rope_scaling' must be an object");
    std::string type = optionalString(*it, "rope_type", "", label);
    if (type.empty()) type = optionalString(*it, "type", "default", label);
    if (type != "default" && type != "linear" && type != "llama3")
        fail(label, "rope_scaling type '" + type +
                        "' is not supported (supported: default, linear, llama3)");
    s.type = type;
    s.factor = optionalNumber(*it, "factor", 1.0, label);
    if (!(s.factor > 0)) fail(label, "rope_scaling.factor must be positive");
    s.lowFreqFactor = optionalNumber(*it, "low_freq_factor", 1.0, label);
    s.highFreqFactor = optionalNumber(*it, "high_freq_factor", 4.0, label);
    auto orig = optionalInt(*it, {"original_max_position_embeddings"}, label);
    if (orig) s.originalMaxPositions = *orig;
    if (type == "llama3" && !(s.highFreqFactor > s.lowFreqFactor))
        fail(label, "rope_scaling.high_freq_factor must exceed low_freq_factor");
    return s;
}

void parseLlamaFamily(const json& j, const std::string& label, ModelConfig& c) {
    c.vocabSize = requiredPositive(j, {"vocab_size"}, label);
    c.dModel = requiredPositive(j, {"hidden_size"}, label);
    c.nLayers = requiredPositive(j, {"num_hidden_layers"}, label);
    c.nHeads = requiredPositive(j, {"num_attention_heads"}, label);
    auto kv = optionalInt(j, {"num_key_value_heads"}, label);
    c.nKvHeads = kv ? *kv : c.nHeads;
    if (c.nKvHeads <= 0 || c.nHeads % c.nKvHeads != 0)
        fail(label, "num_attention_heads (" + std::to_string(c.nHeads) +
                        ") must be a multiple of num_key_value_heads (" +
                        std::to_string(c.nKvHeads) + ")");
    c.dMlp = requiredPositive(j, {"intermediate_size"}, label);
    c.maxPositions = requiredPositive(j, {"max_position_embeddings"}, label);
    c.normEps = optionalNumber(j, "rms_norm_eps", 1e-6, label);
    c.activation = optionalString(j, "hidden_act", "silu", label);
    if (c.activation != "silu")
        fail(label, "hidden_act '" + c.activation + "' is not supported (supported: silu)");
    c.norm = NormKind::RmsNorm;
    c.mlp = MlpKind::GatedSilu;
    c.positions = PositionKind::Rotary;
    c.tiedEmbeddings = optionalBool(j, "tie_word_embeddings", false, label);
    c.ropeTheta = optionalNumber(j, "rope_theta", 10000.0, label);
    if (!(c.ropeTheta > 0)) fail(label, "field 'rope_theta' must be positive");
    c.ropeScaling = parseRopeScaling(j, label);
    auto headDim = optionalInt(j, {"head_dim"}, label);
    if (headDim) {
        if (*headDim <= 0 || *headDim % 2 != 0)
            fail(label, "field 'head_dim' must be a positive even integer");
        c.headDim = *headDim;
    } else {
        if (c.dModel % c.nHeads != 0)
            fail(label, "hidden_size is not divisible by num_attention_heads");
        c.headDim = c.dModel / c.nHeads;
        if (c.headDim % 2 != 0) fail(label, "head dimension must be even for rotary embeddings");
    }
    if (c.modelType == "qwen2" || c.architecture == "Qwen2ForCausalLM") {
        c.qkvBias = true;
        if (optionalBool(j, "use_sliding_window", false, label)) {
            c.slidingWindow = optionalInt(j, {"sliding_window"}, label);
            auto from = optionalInt(j, {"max_window_layers"}, label);
            c.slidingWindowFromLayer = from ? *from : 0;
        }
    } else {
        c.qkvBias = c.outBias = optionalBool(j, "attention_bias", false, label);
        c.mlpBias = optionalBool(j, "mlp_bias", false, label);
        if (c.architecture == "MistralForCausalLM")
            c.slidingWindow = optionalInt(j, {"sliding_window"}, label);
    }
    if (c.slidingWindow && *c.slidingWindow <= 0)
        fail(label, "field 'sliding_window' must be positive");
}

// Far beyond any real model; keeps size arithmetic (parameter counts, shapes) from overflowing
// on a corrupt or hostile config.
void checkBounds(const ModelConfig& c, const std::string& label) {
    struct Bound {
        const char* what;
        int64_t value;
        int log2Max;
    };
    const Bound bounds[] = {{"vocabulary size", c.vocabSize, 24},  {"model width", c.dModel, 18},
                            {"layer count", c.nLayers, 12},        {"head count", c.nHeads, 14},
                            {"head dimension", c.headDim, 14},     {"MLP width", c.dMlp, 20},
                            {"context length", c.maxPositions, 26}};
    for (const auto& b : bounds)
        if (b.value > (int64_t{1} << b.log2Max))
            fail(label,
                 std::string(b.what) + " " + std::to_string(b.value) + " is implausibly large");
    if (c.nHeads * c.headDim > (int64_t{1} << 20))
        fail(label, "heads × head_dim is implausibly large");
}

}  // namespace

const std::vector<std::string>& supportedArchitectures() {
    static const std::vector<std::string> names = {"GPT2LMHeadModel", "LlamaForCausalLM",
                                                   "MistralForCausalLM", "Qwen2ForCausalLM"};
    return names;
}

double ModelConfig::attentionScale(int64_t layer) const {
    double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    if (scaleAttnByInverseLayerIdx) scale /= static_cast<double>(layer + 1);
    return scale;
}

bool ModelConfig::usesSlidingWindow(int64_t layer) const {
    return slidingWindow.has_value() && layer >= slidingWindowFromLayer;
}

int64_t ModelConfig::parameterCount() const {
    const int64_t qkv = dModel * headDim * (nHeads + 2 * nKvHeads) +
                        (qkvBias ? headDim * (nHeads + 2 * nKvHeads) : 0);
    const int64_t out = nHeads * headDim * dModel + (outBias ? dModel : 0);
    const int64_t mlpParams = mlp == MlpKind::Gelu
                                  ? 2 * dModel * dMlp + (mlpBias ? dMlp + dModel : 0)
                                  : 3 * dModel * dMlp + (mlpBias ? 2 * dMlp + dModel : 0);
    const int64_t normParams = norm == NormKind::LayerNorm ? 2 * dModel : dModel;
    const int64_t perLayer = qkv + out + mlpParams + 2 * normParams;
    int64_t total = nLayers * perLayer + normParams + vocabSize * dModel;
    if (!tiedEmbeddings) total += vocabSize * dModel;
    if (positions == PositionKind::Learned) total += maxPositions * dModel;
    return total;
}

ModelConfig parseModelConfig(const std::string& jsonText, const std::string& label) {
    json j;
    try {
        j = json::parse(jsonText);
    } catch (const json::exception& e) {
        fail(label, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) fail(label, "top level is not a JSON object");

    ModelConfig c;
    c.rawJson = jsonText;
    c.modelType = optionalString(j, "model_type", "", label);
    c.architecture = architectureOf(j, label);
    c.torchDtype = optionalString(j, "torch_dtype", "", label);
    c.bosTokenId = tokenId(j, "bos_token_id", label);
    c.eosTokenId = tokenId(j, "eos_token_id", label);

    if (c.architecture == "GPT2LMHeadModel") {
        parseGpt2(j, label, c);
    } else if (c.architecture == "LlamaForCausalLM" || c.architecture == "MistralForCausalLM" ||
               c.architecture == "Qwen2ForCausalLM") {
        parseLlamaFamily(j, label, c);
    } else {
        std::string list;
        for (const auto& a : supportedArchitectures())
            list += (list.empty() ? "" : ", ") + a;
        fail(label, "unsupported architecture '" + c.architecture + "' (supported: " + list + ")");
    }
    if (!(c.normEps > 0)) fail(label, "normalisation epsilon must be positive");
    checkBounds(c, label);
    return c;
}

ModelConfig loadModelConfig(const std::filesystem::path& dir) {
    const auto path = dir / "config.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelLoadError(path.string() + ": cannot open (is this a model folder?)");
    std::ostringstream text;
    text << in.rdbuf();
    return parseModelConfig(text.str(), path.string());
}

}  // namespace attnscope::capture
