#include "llama_family.h"

#include "../config_reader.h"

namespace attnscope::capture {
namespace {

RopeScaling readRopeScaling(const ConfigReader& r) {
    RopeScaling s;
    const auto scaling = r.object("rope_scaling");
    if (!scaling) return s;
    std::string type = scaling->optionalString("rope_type", "");
    if (type.empty()) type = scaling->optionalString("type", "default");
    if (type != "default" && type != "linear" && type != "llama3")
        r.fail("rope_scaling type '" + type +
               "' is not supported (supported: default, linear, llama3)");
    s.type = type;
    s.factor = scaling->optionalNumber("factor", 1.0);
    if (!(s.factor > 0)) r.fail("rope_scaling.factor must be positive");
    s.lowFreqFactor = scaling->optionalNumber("low_freq_factor", 1.0);
    s.highFreqFactor = scaling->optionalNumber("high_freq_factor", 4.0);
    auto orig = scaling->optionalInt({"original_max_position_embeddings"});
    if (orig) s.originalMaxPositions = *orig;
    if (type == "llama3" && !(s.highFreqFactor > s.lowFreqFactor))
        r.fail("rope_scaling.high_freq_factor must exceed low_freq_factor");
    return s;
}

}  // namespace

void readLlamaFamilyConfig(const ConfigReader& r, ModelConfig& c) {
    c.vocabSize = r.requiredPositive({"vocab_size"});
    c.dModel = r.requiredPositive({"hidden_size"});
    c.nLayers = r.requiredPositive({"num_hidden_layers"});
    c.nHeads = r.requiredPositive({"num_attention_heads"});
    auto kv = r.optionalInt({"num_key_value_heads"});
    c.nKvHeads = kv ? *kv : c.nHeads;
    if (c.nKvHeads <= 0 || c.nHeads % c.nKvHeads != 0)
        r.fail("num_attention_heads (" + std::to_string(c.nHeads) +
               ") must be a multiple of num_key_value_heads (" + std::to_string(c.nKvHeads) + ")");
    c.dMlp = r.requiredPositive({"intermediate_size"});
    c.maxPositions = r.requiredPositive({"max_position_embeddings"});
    c.normEps = r.optionalNumber("rms_norm_eps", 1e-6);
    c.activation = r.optionalString("hidden_act", "silu");
    if (c.activation != "silu")
        r.fail("hidden_act '" + c.activation + "' is not supported (supported: silu)");
    c.norm = NormKind::RmsNorm;
    c.mlp = MlpKind::GatedSilu;
    c.positions = PositionKind::Rotary;
    c.tiedEmbeddings = r.optionalBool("tie_word_embeddings", false);
    c.ropeTheta = r.optionalNumber("rope_theta", 10000.0);
    if (!(c.ropeTheta > 0)) r.fail("field 'rope_theta' must be positive");
    c.ropeScaling = readRopeScaling(r);
    auto headDim = r.optionalInt({"head_dim"});
    if (headDim) {
        if (*headDim <= 0 || *headDim % 2 != 0)
            r.fail("field 'head_dim' must be a positive even integer");
        c.headDim = *headDim;
    } else {
        if (c.dModel % c.nHeads != 0) r.fail("hidden_size is not divisible by num_attention_heads");
        c.headDim = c.dModel / c.nHeads;
        if (c.headDim % 2 != 0) r.fail("head dimension must be even for rotary embeddings");
    }
}

void readLlamaBiases(const ConfigReader& r, ModelConfig& c) {
    c.qkvBias = c.outBias = r.optionalBool("attention_bias", false);
    c.mlpBias = r.optionalBool("mlp_bias", false);
}

WeightTable llamaFamilyWeightTable(const ModelConfig& c, const HasTensor&) {
    const int64_t D = c.dModel, M = c.dMlp, d = c.headDim, H = c.nHeads, K = c.nKvHeads;
    WeightTable t;
    auto add = [&](WeightSlot slot, int64_t layer, std::vector<CheckpointTensor> parts) {
        t.entries.push_back({slot, layer, std::move(parts), false});
    };
    add(WeightSlot::Embed, -1, {{"model.embed_tokens.weight", {c.vocabSize, D}}});
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        add(WeightSlot::Norm1Weight, l, {{p + "input_layernorm.weight", {D}}});
        add(WeightSlot::QkvWeight, l,
            {{p + "self_attn.q_proj.weight", {H * d, D}},
             {p + "self_attn.k_proj.weight", {K * d, D}},
             {p + "self_attn.v_proj.weight", {K * d, D}}});
        if (c.qkvBias)
            add(WeightSlot::QkvBias, l,
                {{p + "self_attn.q_proj.bias", {H * d}},
                 {p + "self_attn.k_proj.bias", {K * d}},
                 {p + "self_attn.v_proj.bias", {K * d}}});
        add(WeightSlot::OutWeight, l, {{p + "self_attn.o_proj.weight", {D, H * d}}});
        if (c.outBias) add(WeightSlot::OutBias, l, {{p + "self_attn.o_proj.bias", {D}}});
        add(WeightSlot::Norm2Weight, l, {{p + "post_attention_layernorm.weight", {D}}});
        add(WeightSlot::MlpInWeight, l,
            {{p + "mlp.gate_proj.weight", {M, D}}, {p + "mlp.up_proj.weight", {M, D}}});
        add(WeightSlot::MlpOutWeight, l, {{p + "mlp.down_proj.weight", {D, M}}});
        if (c.mlpBias) {
            add(WeightSlot::MlpInBias, l,
                {{p + "mlp.gate_proj.bias", {M}}, {p + "mlp.up_proj.bias", {M}}});
            add(WeightSlot::MlpOutBias, l, {{p + "mlp.down_proj.bias", {D}}});
        }
        // Precomputed RoPE tables saved by old checkpoints; recomputed from the config.
        t.ignoredIfPresent.push_back(p + "self_attn.rotary_emb.inv_freq");
    }
    add(WeightSlot::FinalNormWeight, -1, {{"model.norm.weight", {D}}});
    if (c.tiedEmbeddings)
        t.ignoredIfPresent.push_back("lm_head.weight");
    else
        add(WeightSlot::Unembed, -1, {{"lm_head.weight", {c.vocabSize, D}}});
    return t;
}

}  // namespace attnscope::capture
