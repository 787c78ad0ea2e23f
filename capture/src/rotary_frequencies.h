#pragma once
#include <ATen/ATen.h>

#include "attnscope/capture/model_config.h"

namespace attnscope::capture {

/// RoPE inverse frequencies [d_head / 2] in float32, with HF's "linear" and "llama3" scaling.
at::Tensor rotaryInverseFrequencies(const ModelConfig& config);

/// cos and sin tables [positions, d_head] for positions 0..positions-1 (rotate-half layout).
std::pair<at::Tensor, at::Tensor> rotaryTablesFor(const at::Tensor& invFreq, int64_t positions);

}  // namespace attnscope::capture
