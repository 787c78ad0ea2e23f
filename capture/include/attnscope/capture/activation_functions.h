#pragma once
// The MLP's activation functions, by the names config.json gives them.
#include <ATen/ATen.h>

#include <string>

namespace attnscope::capture {

/// Applies the activation `name` (gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu, silu,
/// swish) to `x`; the tanh GELUs in place on contiguous float32 CPU tensors that nothing
/// differentiates through. Throws std::invalid_argument for any other name.
at::Tensor applyActivation(const std::string& name, at::Tensor x);

/// GELU with the tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in place on a
/// contiguous float32 CPU tensor: a vectorised loop, within a few float ulp of at::gelu's.
void geluTanhInPlace(at::Tensor& x);

}  // namespace attnscope::capture
