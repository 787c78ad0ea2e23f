#pragma once
// Session internals (LibTorch types; include from app/core .cpp files only).
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "attnscope/app/opened_model.h"
#include "attnscope/app/prompt_run.h"
#include "attnscope/app/session.h"
#include "attnscope/store/capture_types.h"

namespace attnscope::app {

/// One unedited run kept so that edits only pay for the edited forward pass.
struct CachedRun {
    PromptTokens tokens;
    at::Tensor probs;                         // [vocab] float64 softmax of the last logits
    SharedPatterns patterns;                  // [layer] -> [head, query, key]
    std::map<std::string, at::Tensor> hookZ;  // "blocks.L.attn.hook_z" -> [pos, head, d_head]
    std::vector<at::Tensor> lensLogits;       // [layer] -> [vocab] logit lens, last position

    bool holds(const std::vector<int64_t>& ids) const {
        return patterns != nullptr && tokens.ids == ids;
    }
};

struct Session::Impl {
    OpenedModel opened;
    store::ModelInfo info;
    ModelSummary summary;
    CachedRun baseline;
    CachedRun corrupted;
    std::shared_ptr<const RunResult> last;

    /// Tokens of a prompt: encoded text, or "1,2,3" ids when the model has no tokenizer or
    /// `ids` is set.
    PromptTokens tokensOf(const std::string& prompt, bool ids = false) const;
    /// The cached unedited run of `tokens`, computed when the cache holds another prompt.
    const CachedRun& unedited(CachedRun& slot, const PromptTokens& tokens);
};

/// One unedited run of `tokens` with every pattern, hook_z and the logit lens captured.
CachedRun runUnedited(OpenedModel& opened, PromptTokens tokens);

/// What a run's capture spec adds for lensLogits().
inline constexpr const char* kResidPostHooks = "blocks.*.hook_resid_post";
/// Per layer, the final norm and unembedding applied to hook_resid_post at the last position:
/// [layer] -> [vocab] float32 logits on the CPU.
std::vector<at::Tensor> lensLogits(capture::TransformerModel& model,
                                   const capture::ActivationCache& cache);
/// The probability of `token` after each layer (float64 softmax, as the predictions use).
std::vector<double> lensProbs(const std::vector<at::Tensor>& logits, int64_t token);

/// The display string of a token id (its id when there is no tokenizer or no string).
std::string tokenDisplay(const OpenedModel& opened, int64_t token);

}  // namespace attnscope::app
