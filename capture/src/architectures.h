#pragma once
// Per-architecture tables from checkpoint tensor names to the model's fused weights.
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace attnscope::capture {

class TransformerModel;
class WeightSource;

/// GPT2LMHeadModel: keys with or without the "transformer." prefix, Conv1D weights [in, out].
void loadGpt2Weights(TransformerModel& model, WeightSource& source);
/// LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM ("model." prefix).
void loadLlamaWeights(TransformerModel& model, WeightSource& source);

/// The model's weights under Hugging Face Llama names, for writing a checkpoint.
std::vector<std::pair<std::string, at::Tensor>> exportLlamaWeights(TransformerModel& model);

/// Makes the model parameter `target` share `value`'s memory when dtype and device agree (a
/// view of the checkpoint stays a view); otherwise copies `value` into it, converting.
void assignWeight(at::Tensor& target, const at::Tensor& value);

}  // namespace attnscope::capture
