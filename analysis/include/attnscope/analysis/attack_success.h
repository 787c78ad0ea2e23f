#pragma once
// §3.3 Attack-success rate of a head ablation: greedy generations with the heads ablated,
// judged by the reference keyword rule (refusal_rule.h). Torch-free header.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class Tokenizer;
}

namespace attnscope::analysis {

struct GenerationSettings {
    int64_t maxNewTokens = 32;     ///< get_ships main (the notebook uses 64)
    int64_t batchSize = 16;        ///< sequences per batched generation
    bool compatReference = false;  ///< isRefusal's [QUIRK] keyword list
    capture::Progress progress;    ///< fraction of prompts generated; cancels generation
};

/// Greedy continuations (stopping at EOS, which is not decoded) of every prompt under every
/// variant: result[v][p]. Prompts of equal token length share batched generations (the
/// runtime has no left padding); every batch element carries its own variant's ablation.
/// Throws capture::Cancelled when cancelled, capture::InputError for an empty prompt or bad
/// heads.
std::vector<std::vector<std::string>> generateAblated(
    capture::TransformerModel& model, const capture::Tokenizer& tokenizer,
    const std::vector<std::vector<int64_t>>& prompts, const std::vector<HeadSet>& variants,
    const AblationSpec& spec, const GenerationSettings& settings = {});

/// ASR = fraction of `prompts` (text, encoded with the tokenizer's special tokens) whose greedy
/// continuation with `heads` ablated is not a refusal (analysis::isRefusal). Throws
/// capture::Cancelled when cancelled, capture::InputError for no prompts.
double attackSuccessRate(capture::TransformerModel& model, const capture::Tokenizer& tokenizer,
                         const std::vector<std::string>& prompts, const HeadSet& heads,
                         const AblationSpec& spec = {}, const GenerationSettings& settings = {});

}  // namespace attnscope::analysis
