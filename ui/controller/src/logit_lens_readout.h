#pragma once
// The logit lens of a live run, read off its captured hook_resid_post (worker thread only;
// LibTorch types: include from .cpp files of this target only).
#include <ATen/ATen.h>

#include <vector>

#include "attnscope/capture/capture_spec.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::ui::detail {

/// What a run's capture spec must add for lensLogits().
inline constexpr const char* kResidPostHooks = "blocks.*.hook_resid_post";

/// Per layer, the model's final norm and unembedding applied to hook_resid_post at the last
/// position: [layer] -> [vocab] float32 logits on the CPU.
std::vector<at::Tensor> lensLogits(capture::TransformerModel& model,
                                   const capture::ActivationCache& cache);

/// The probability of `token` after each layer, with the float64 softmax the predictions
/// table uses (so the last layer reproduces the table's value exactly).
std::vector<double> lensProbs(const std::vector<at::Tensor>& logits, int64_t token);

}  // namespace attnscope::ui::detail
