#include <ATen/ATen.h>

#include "architectures.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/capture/weight_source.h"

namespace attnscope::capture {
namespace {

std::string layerPrefix(int64_t l) {
    return "model.layers." + std::to_string(l) + ".";
}

}  // namespace

void loadLlamaWeights(TransformerModel& model, WeightSource& src) {
    const ModelConfig& c = model.config();
    const int64_t D = c.dModel, M = c.dMlp, d = c.headDim, H = c.nHeads, K = c.nKvHeads;
    assignWeight(model.embedWeight(), src.take("model.embed_tokens.weight", {c.vocabSize, D}));
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const std::string p = layerPrefix(l);
        TransformerBlock& b = model.block(l);
        assignWeight(b.norm1W, src.take(p + "input_layernorm.weight", {D}));
        assignWeight(b.attn->wQkv,
                     src.takeConcatenated({{p + "self_attn.q_proj.weight", {H * d, D}},
                                           {p + "self_attn.k_proj.weight", {K * d, D}},
                                           {p + "self_attn.v_proj.weight", {K * d, D}}}));
        if (c.qkvBias)
            assignWeight(b.attn->bQkv,
                         src.takeConcatenated({{p + "self_attn.q_proj.bias", {H * d}},
                                               {p + "self_attn.k_proj.bias", {K * d}},
                                               {p + "self_attn.v_proj.bias", {K * d}}}));
        assignWeight(b.attn->wO, src.take(p + "self_attn.o_proj.weight", {D, H * d}));
        if (c.outBias) assignWeight(b.attn->bO, src.take(p + "self_attn.o_proj.bias", {D}));
        assignWeight(b.norm2W, src.take(p + "post_attention_layernorm.weight", {D}));
        assignWeight(b.wIn, src.takeConcatenated({{p + "mlp.gate_proj.weight", {M, D}},
                                                  {p + "mlp.up_proj.weight", {M, D}}}));
        assignWeight(b.wOut, src.take(p + "mlp.down_proj.weight", {D, M}));
        if (c.mlpBias) {
            assignWeight(b.bIn, src.takeConcatenated({{p + "mlp.gate_proj.bias", {M}},
                                                      {p + "mlp.up_proj.bias", {M}}}));
            assignWeight(b.bOut, src.take(p + "mlp.down_proj.bias", {D}));
        }
        // Precomputed RoPE tables saved by old checkpoints; recomputed from the config.
        if (src.contains(p + "self_attn.rotary_emb.inv_freq"))
            src.ignore(p + "self_attn.rotary_emb.inv_freq");
    }
    assignWeight(model.finalNormWeight(), src.take("model.norm.weight", {D}));
    if (c.tiedEmbeddings) {
        if (src.contains("lm_head.weight")) src.ignore("lm_head.weight");
    } else {
        assignWeight(model.unembedWeight(), src.take("lm_head.weight", {c.vocabSize, D}));
    }
}

std::vector<std::pair<std::string, at::Tensor>> exportLlamaWeights(TransformerModel& model) {
    const ModelConfig& c = model.config();
    const int64_t d = c.headDim, H = c.nHeads, K = c.nKvHeads, M = c.dMlp;
    std::vector<std::pair<std::string, at::Tensor>> out;
    out.emplace_back("model.embed_tokens.weight", model.embedWeight());
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const std::string p = layerPrefix(l);
        TransformerBlock& b = model.block(l);
        auto qkv = b.attn->wQkv.split_with_sizes({H * d, K * d, K * d});
        out.emplace_back(p + "input_layernorm.weight", b.norm1W);
        out.emplace_back(p + "self_attn.q_proj.weight", qkv[0]);
        out.emplace_back(p + "self_attn.k_proj.weight", qkv[1]);
        out.emplace_back(p + "self_attn.v_proj.weight", qkv[2]);
        if (c.qkvBias) {
            auto bias = b.attn->bQkv.split_with_sizes({H * d, K * d, K * d});
            out.emplace_back(p + "self_attn.q_proj.bias", bias[0]);
            out.emplace_back(p + "self_attn.k_proj.bias", bias[1]);
            out.emplace_back(p + "self_attn.v_proj.bias", bias[2]);
        }
        out.emplace_back(p + "self_attn.o_proj.weight", b.attn->wO);
        if (c.outBias) out.emplace_back(p + "self_attn.o_proj.bias", b.attn->bO);
        out.emplace_back(p + "post_attention_layernorm.weight", b.norm2W);
        auto gateUp = b.wIn.split_with_sizes({M, M});
        out.emplace_back(p + "mlp.gate_proj.weight", gateUp[0]);
        out.emplace_back(p + "mlp.up_proj.weight", gateUp[1]);
        out.emplace_back(p + "mlp.down_proj.weight", b.wOut);
    }
    out.emplace_back("model.norm.weight", model.finalNormWeight());
    if (!c.tiedEmbeddings) out.emplace_back("lm_head.weight", model.unembedWeight());
    return out;
}

}  // namespace attnscope::capture
