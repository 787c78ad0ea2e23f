#pragma once
// Applies an architecture's weight table (architecture.h) to a runtime model: loading from a
// checkpoint, and the reverse for writing one.
#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace attnscope::capture {

class TransformerModel;
class WeightSource;

/// Fills `model` from `source` with its architecture's table; fails loudly on missing, misshapen
/// or unexpected tensors.
void loadWeights(TransformerModel& model, WeightSource& source);

/// The model's weights under its architecture's checkpoint names, as the table splits them.
std::vector<std::pair<std::string, at::Tensor>> exportWeights(TransformerModel& model);

}  // namespace attnscope::capture
