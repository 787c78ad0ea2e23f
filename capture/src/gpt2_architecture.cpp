#include <ATen/ATen.h>

#include "architectures.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/capture/weight_source.h"

namespace attnscope::capture {

void assignWeight(at::Tensor& target, const at::Tensor& value) {
    at::NoGradGuard noGrad;
    // set_ makes the registered parameter share `value`'s memory (usually a view of the
    // checkpoint file, strides included): no copy. Anything else is copied and converted.
    if (value.scalar_type() == target.scalar_type() && value.device() == target.device())
        target.set_(value);
    else
        target.copy_(value);
}

void loadGpt2Weights(TransformerModel& model, WeightSource& src) {
    const ModelConfig& c = model.config();
    const std::string prefix = src.contains("transformer.wte.weight") ? "transformer." : "";
    const int64_t D = c.dModel, M = c.dMlp;
    // Conv1D stores [in, out]; the runtime uses [out, in] everywhere. The transposed view costs
    // nothing: the matmuls read either layout at the same speed.
    auto conv = [&](const std::string& name, int64_t in, int64_t out) {
        return src.take(name, {in, out}).t();
    };
    assignWeight(model.embedWeight(), src.take(prefix + "wte.weight", {c.vocabSize, D}));
    assignWeight(model.posEmbedWeight(), src.take(prefix + "wpe.weight", {c.maxPositions, D}));
    for (int64_t l = 0; l < c.nLayers; ++l) {
        const std::string p = prefix + "h." + std::to_string(l) + ".";
        TransformerBlock& b = model.block(l);
        assignWeight(b.norm1W, src.take(p + "ln_1.weight", {D}));
        assignWeight(b.norm1B, src.take(p + "ln_1.bias", {D}));
        assignWeight(b.attn->wQkv, conv(p + "attn.c_attn.weight", D, 3 * D));
        assignWeight(b.attn->bQkv, src.take(p + "attn.c_attn.bias", {3 * D}));
        assignWeight(b.attn->wO, conv(p + "attn.c_proj.weight", D, D));
        assignWeight(b.attn->bO, src.take(p + "attn.c_proj.bias", {D}));
        assignWeight(b.norm2W, src.take(p + "ln_2.weight", {D}));
        assignWeight(b.norm2B, src.take(p + "ln_2.bias", {D}));
        assignWeight(b.wIn, conv(p + "mlp.c_fc.weight", D, M));
        assignWeight(b.bIn, src.take(p + "mlp.c_fc.bias", {M}));
        assignWeight(b.wOut, conv(p + "mlp.c_proj.weight", M, D));
        assignWeight(b.bOut, src.take(p + "mlp.c_proj.bias", {D}));
        // Causal-mask buffers saved by older transformers versions carry no weights.
        for (const char* buffer : {"attn.bias", "attn.masked_bias"})
            if (src.contains(p + buffer)) src.ignore(p + buffer);
    }
    assignWeight(model.finalNormWeight(), src.take(prefix + "ln_f.weight", {D}));
    assignWeight(model.finalNormBias(), src.take(prefix + "ln_f.bias", {D}));
    if (c.tiedEmbeddings) {
        if (src.contains("lm_head.weight")) src.ignore("lm_head.weight");
    } else {
        assignWeight(model.unembedWeight(), src.take("lm_head.weight", {c.vocabSize, D}));
    }
}

}  // namespace attnscope::capture
