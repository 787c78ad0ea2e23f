#pragma once
// The worker-side state behind detail::Engine (LibTorch types: include only from .cpp files
// of this target, before any Qt header).
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "attnscope/app/opened_model.h"
#include "attnscope/store/capture_types.h"
#include "engine.h"

namespace attnscope::ui::detail {

/// One unedited run kept so that live edits only pay for the edited forward pass.
struct CachedRun {
    std::vector<int64_t> ids;
    app::PromptTokens tokens;
    at::Tensor probs;                          // [vocab] float64 softmax of the last logits
    std::vector<std::vector<float>> patterns;  // [layer] -> [head, query, key]
    std::map<std::string, at::Tensor> hookZ;   // "blocks.L.attn.hook_z" -> [pos, head, d_head]
    std::vector<at::Tensor> lensLogits;        // [layer] -> [vocab] logit lens, last position
};

/// The opened model and the unedited runs of the current prompts. Owned by the controller,
/// used only by jobs on its one-thread pool.
struct Engine {
    app::OpenedModel opened;
    store::ModelInfo info;
    CachedRun baseline;
    CachedRun corrupted;
};

/// Tokens of a prompt: encoded text, or "1,2,3" ids when the model has no tokenizer.
app::PromptTokens promptTokens(const Engine& engine, const QString& prompt);

/// One unedited run of `tokens` with every pattern, hook_z and the logit lens captured.
CachedRun runUnedited(Engine& engine, app::PromptTokens tokens);

/// Row-major copy of a float tensor.
std::vector<float> toVector(const at::Tensor& t);

}  // namespace attnscope::ui::detail
