#pragma once
// What the Llama-shaped architectures (Llama, Mistral, Qwen2) share: RMSNorm, RoPE, SwiGLU,
// grouped-query attention, "model." tensor names with separate q/k/v and gate/up projections.
#include "../architecture.h"

namespace attnscope::capture {

/// The Llama family's common config fields (every field but biases and sliding windows).
void readLlamaFamilyConfig(const ConfigReader& reader, ModelConfig& config);

/// Llama's attention_bias and mlp_bias (Llama and Mistral).
void readLlamaBiases(const ConfigReader& reader, ModelConfig& config);

/// The Llama family's tensor names; biases per the config's qkvBias, outBias and mlpBias.
WeightTable llamaFamilyWeightTable(const ModelConfig& config, const HasTensor& has);

}  // namespace attnscope::capture
