#pragma once
// Writing safetensors files (checkpoints made by the demo trainer, test fixtures).
#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace attnscope::capture {

/// Writes `tensors` (CPU or not; converted to contiguous CPU) in the given order to `path`,
/// via a temporary file renamed into place. Supported dtypes: float32/16, bfloat16, int64/32,
/// uint8, bool. Throws std::runtime_error on I/O failure.
void writeSafetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace attnscope::capture
