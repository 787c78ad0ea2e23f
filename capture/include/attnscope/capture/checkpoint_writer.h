#pragma once
// Writing a model's weights as a Hugging Face checkpoint (the demo trainer's output).
#include <filesystem>

#include "attnscope/capture/safetensors_header.h"

namespace attnscope::capture {

class TransformerModel;

/// Writes `dir`/model.safetensors with the Hugging Face tensor names of the model's architecture,
/// in `dtype` (F32, F16 or BF16). config.json is the caller's to write: it is the config the
/// model was built from (model.config().rawJson).
void writeCheckpoint(TransformerModel& model, const std::filesystem::path& dir,
                     DType dtype = DType::F32);

}  // namespace attnscope::capture
