#include "attnscope/capture/checkpoint_writer.h"

#include "architecture_weights.h"
#include "attnscope/capture/safetensors_writer.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::capture {

void writeCheckpoint(TransformerModel& model, const std::filesystem::path& dir, DType dtype) {
    const at::ScalarType scalar = dtype == DType::BF16  ? at::kBFloat16
                                  : dtype == DType::F16 ? at::kHalf
                                                        : at::kFloat;
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto& [name, t] : exportWeights(model))
        tensors.emplace_back(name, t.detach().to(at::kCPU, scalar).contiguous());
    std::filesystem::create_directories(dir);
    writeSafetensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace attnscope::capture
