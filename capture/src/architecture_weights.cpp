#include "architecture_weights.h"

#include <ATen/ATen.h>

#include "architecture.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/capture/weight_source.h"

namespace attnscope::capture {
namespace {

at::Tensor& slotTensor(TransformerModel& model, WeightSlot slot, int64_t layer) {
    switch (slot) {
        case WeightSlot::Embed:
            return model.embedWeight();
        case WeightSlot::PosEmbed:
            return model.posEmbedWeight();
        case WeightSlot::Unembed:
            return model.unembedWeight();
        case WeightSlot::FinalNormWeight:
            return model.finalNormWeight();
        case WeightSlot::FinalNormBias:
            return model.finalNormBias();
        default:
            break;
    }
    TransformerBlock& b = model.block(layer);
    switch (slot) {
        case WeightSlot::Norm1Weight:
            return b.norm1W;
        case WeightSlot::Norm1Bias:
            return b.norm1B;
        case WeightSlot::Norm2Weight:
            return b.norm2W;
        case WeightSlot::Norm2Bias:
            return b.norm2B;
        case WeightSlot::QkvWeight:
            return b.attn->wQkv;
        case WeightSlot::QkvBias:
            return b.attn->bQkv;
        case WeightSlot::OutWeight:
            return b.attn->wO;
        case WeightSlot::OutBias:
            return b.attn->bO;
        case WeightSlot::MlpInWeight:
            return b.wIn;
        case WeightSlot::MlpInBias:
            return b.bIn;
        case WeightSlot::MlpOutWeight:
            return b.wOut;
        default:
            return b.bOut;
    }
}

// Makes the model parameter `target` share `value`'s memory when dtype and device agree (a
// view of the checkpoint file, strides included: no copy); otherwise copies and converts.
void assignWeight(at::Tensor& target, const at::Tensor& value) {
    at::NoGradGuard noGrad;
    if (value.scalar_type() == target.scalar_type() && value.device() == target.device())
        target.set_(value);
    else
        target.copy_(value);
}

WeightTable tableOf(const ModelConfig& config, const HasTensor& has) {
    return findArchitecture(config.architecture, config.modelType, "model config")
        .weightTable(config, has);
}

}  // namespace

void loadWeights(TransformerModel& model, WeightSource& source) {
    const WeightTable table =
        tableOf(model.config(), [&](const std::string& name) { return source.contains(name); });
    for (const WeightEntry& e : table.entries) {
        at::Tensor value;
        if (e.parts.size() == 1) {
            value = source.take(e.parts.front().name, e.parts.front().shape);
        } else {
            std::vector<WeightSource::Part> parts;
            for (const auto& p : e.parts)
                parts.push_back({p.name, p.shape});
            value = source.takeConcatenated(parts);
        }
        // Conv1D stores [in, out]; the runtime uses [out, in]. The transposed view costs
        // nothing: the matmuls read either layout at the same speed.
        if (e.transposed) value = value.t();
        assignWeight(slotTensor(model, e.slot, e.layer), value);
    }
    for (const auto& name : table.ignoredIfPresent)
        if (source.contains(name)) source.ignore(name);
    source.checkAllConsumed();
}

std::vector<std::pair<std::string, at::Tensor>> exportWeights(TransformerModel& model) {
    const WeightTable table = tableOf(model.config(), [](const std::string&) { return false; });
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const WeightEntry& e : table.entries) {
        at::Tensor value = slotTensor(model, e.slot, e.layer);
        if (e.transposed) value = value.t();
        std::vector<int64_t> rows;
        for (const auto& p : e.parts)
            rows.push_back(p.shape.front());
        const auto pieces = value.split_with_sizes(rows);
        for (size_t i = 0; i < e.parts.size(); ++i)
            out.emplace_back(e.parts[i].name, pieces[i]);
    }
    return out;
}

}  // namespace attnscope::capture
