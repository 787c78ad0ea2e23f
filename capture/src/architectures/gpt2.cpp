// GPT2LMHeadModel: LayerNorm, learned positions, GELU MLP; Conv1D weights stored [in, out];
// tensor names with or without the "transformer." prefix.
#include "../architecture.h"
#include "../config_reader.h"

namespace attnscope::capture {
namespace {

void readGpt2Config(const ConfigReader& r, ModelConfig& c) {
    c.vocabSize = r.requiredPositive({"vocab_size"});
    c.dModel = r.requiredPositive({"n_embd", "hidden_size"});
    c.nLayers = r.requiredPositive({"n_layer", "num_hidden_layers"});
    c.nHeads = r.requiredPositive({"n_head", "num_attention_heads"});
    c.nKvHeads = c.nHeads;
    c.maxPositions = r.requiredPositive({"n_positions", "max_position_embeddings"});
    auto inner = r.optionalInt({"n_inner"});
    c.dMlp = inner ? *inner : 4 * c.dModel;
    if (c.dMlp <= 0) r.fail("field 'n_inner' must be positive");
    c.normEps = r.optionalNumber("layer_norm_epsilon", 1e-5);
    c.activation = r.optionalString("activation_function", "gelu_new");
    c.norm = NormKind::LayerNorm;
    c.mlp = MlpKind::Gelu;
    c.positions = PositionKind::Learned;
    c.tiedEmbeddings = r.optionalBool("tie_word_embeddings", true);
    c.qkvBias = c.outBias = c.mlpBias = true;
    if (!r.optionalBool("scale_attn_weights", true))
        r.fail("scale_attn_weights=false is not supported");
    c.scaleAttnByInverseLayerIdx = r.optionalBool("scale_attn_by_inverse_layer_idx", false);
    if (c.dModel % c.nHeads != 0)
        r.fail("n_embd (" + std::to_string(c.dModel) + ") is not divisible by n_head (" +
               std::to_string(c.nHeads) + ")");
    c.headDim = c.dModel / c.nHeads;
}

WeightTable gpt2WeightTable(const ModelConfig& c, const HasTensor& has) {
    const std::string prefix = has("transformer.wte.weight") ? "transformer." : "";
    const int64_t D = c.dModel, M = c.dMlp;
    WeightTable t;
    auto add = [&](WeightSlot slot, int64_t layer, std::string name, std::vector<int64_t> shape,
                   bool conv1d = false) {
        t.entries.push_back({slot, layer, {{std::move(name), std::move(shape)}}, conv1d});
    };
    add(WeightSlot::Embed, -1, prefix + "wte.weight", {c.vocabSize, D});
    add(WeightSlot::PosEmbed, -1, prefix + "wpe.weight", {c.maxPositions, D});
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const std::string p = prefix + "h." + std::to_string(l) + ".";
        add(WeightSlot::Norm1Weight, l, p + "ln_1.weight", {D});
        add(WeightSlot::Norm1Bias, l, p + "ln_1.bias", {D});
        add(WeightSlot::QkvWeight, l, p + "attn.c_attn.weight", {D, 3 * D}, true);
        add(WeightSlot::QkvBias, l, p + "attn.c_attn.bias", {3 * D});
        add(WeightSlot::OutWeight, l, p + "attn.c_proj.weight", {D, D}, true);
        add(WeightSlot::OutBias, l, p + "attn.c_proj.bias", {D});
        add(WeightSlot::Norm2Weight, l, p + "ln_2.weight", {D});
        add(WeightSlot::Norm2Bias, l, p + "ln_2.bias", {D});
        add(WeightSlot::MlpInWeight, l, p + "mlp.c_fc.weight", {D, M}, true);
        add(WeightSlot::MlpInBias, l, p + "mlp.c_fc.bias", {M});
        add(WeightSlot::MlpOutWeight, l, p + "mlp.c_proj.weight", {M, D}, true);
        add(WeightSlot::MlpOutBias, l, p + "mlp.c_proj.bias", {D});
        // Causal-mask buffers saved by older transformers versions carry no weights.
        for (const char* buffer : {"attn.bias", "attn.masked_bias"})
            t.ignoredIfPresent.push_back(p + buffer);
    }
    add(WeightSlot::FinalNormWeight, -1, prefix + "ln_f.weight", {D});
    add(WeightSlot::FinalNormBias, -1, prefix + "ln_f.bias", {D});
    if (c.tiedEmbeddings)
        t.ignoredIfPresent.push_back("lm_head.weight");
    else
        add(WeightSlot::Unembed, -1, "lm_head.weight", {c.vocabSize, D});
    return t;
}

}  // namespace

const Architecture& gpt2Architecture() {
    static const Architecture a{{"GPT2LMHeadModel"}, {"gpt2"}, readGpt2Config, gpt2WeightTable};
    return a;
}

}  // namespace attnscope::capture
