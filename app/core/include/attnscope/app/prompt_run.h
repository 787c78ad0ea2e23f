#pragma once
// One forward pass over a prompt with captures and interventions: what `run` and the GUI do.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "attnscope/app/opened_model.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/interventions.h"

namespace attnscope::app {

struct TopToken {
    int64_t id = 0;
    std::string text;  ///< display string, or the id when there is no tokenizer
    double prob = 0;
    double logit = 0;
};

struct PromptRun {
    at::Tensor logits;  ///< [vocab] float32 at the last position
    std::vector<TopToken> top;
    capture::ActivationCache cache;
    /// Seconds runPromptToFile spent creating, writing and committing the file (inside the
    /// forward's hooks and after it), so that benchmarks can tell the forward from the store.
    double writeSeconds = 0;
};

/// The `k` most likely next tokens from last-position logits [vocab].
std::vector<TopToken> topTokens(const at::Tensor& logits, int64_t k,
                                const capture::Tokenizer* tokenizer);

/// Runs `prompt` once. Interventions are applied before captures, so captures show the edited
/// activations.
PromptRun runPrompt(OpenedModel& opened, const PromptTokens& prompt,
                    const capture::CaptureSpec& spec,
                    const std::vector<capture::Intervention>& interventions, int64_t topK);

}  // namespace attnscope::app
