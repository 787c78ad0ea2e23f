#include "attnscope/capture/model_config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "architecture.h"
#include "attnscope/capture/load_error.h"
#include "config_reader.h"

namespace attnscope::capture {
namespace {

using nlohmann::json;

// The "architectures" name (the first), or empty when the config names only its model_type.
std::string architectureName(const ConfigReader& r) {
    auto it = r.json().find("architectures");
    if (it == r.json().end() || it->is_null()) return {};
    if (!it->is_array() || it->empty() || !(*it)[0].is_string())
        r.fail("field 'architectures' must be a non-empty list of strings");
    return (*it)[0].get<std::string>();
}

// Far beyond any real model; keeps size arithmetic (parameter counts, shapes) from overflowing
// on a corrupt or hostile config.
void checkBounds(const ModelConfig& c, const ConfigReader& r) {
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
            r.fail(std::string(b.what) + " " + std::to_string(b.value) + " is implausibly large");
    if (c.nHeads * c.headDim > (int64_t{1} << 20)) r.fail("heads × head_dim is implausibly large");
}

}  // namespace

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
        throw ModelLoadError(label + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw ModelLoadError(label + ": top level is not a JSON object");
    const ConfigReader r(j, label);

    ModelConfig c;
    c.rawJson = jsonText;
    c.modelType = r.optionalString("model_type", "");
    const std::string name = architectureName(r);
    const Architecture& architecture = findArchitecture(name, c.modelType, label);
    c.architecture = name.empty() ? architecture.names.front() : name;
    c.torchDtype = r.optionalString("torch_dtype", "");
    c.bosTokenId = r.tokenId("bos_token_id");
    c.eosTokenId = r.tokenId("eos_token_id");
    architecture.readConfig(r, c);
    if (!(c.normEps > 0)) r.fail("normalisation epsilon must be positive");
    if (c.slidingWindow && *c.slidingWindow <= 0) r.fail("field 'sliding_window' must be positive");
    checkBounds(c, r);
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
