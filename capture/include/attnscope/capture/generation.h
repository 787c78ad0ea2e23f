#pragma once
// Greedy and sampled decoding with a KV cache. Hooks and interventions attached to the model
// stay active at every step; captures record one entry per forward call (prefill, then steps).
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "attnscope/capture/progress.h"

namespace attnscope::capture {

class TransformerModel;

struct GenerationOptions {
    int64_t maxNewTokens = 32;
    bool greedy = true;               ///< false: sample
    double temperature = 1.0;         ///< sampling only
    int64_t topK = 0;                 ///< sampling only; 0 = the whole vocabulary
    uint64_t seed = 0;                ///< sampling only
    std::vector<int64_t> stopTokens;  ///< a sequence stops after emitting one (it is kept)
    bool useCache = true;             ///< false: re-run the whole sequence every step
    /// Receives the fraction of maxNewTokens done after each step; once cancelled, generation
    /// stops before the next step by throwing Cancelled (no partial result).
    Progress progress;
};

struct GenerationResult {
    at::Tensor tokens;                   ///< [batch, new tokens] (int64); stopped rows repeat
                                         ///< their stop token
    std::vector<at::Tensor> stepLogits;  ///< per step: [batch, vocab] float32 logits that chose
                                         ///< that step's token
};

/// Observes each step: step index, chosen tokens [batch], logits [batch, vocab].
/// Returning false stops generation.
using StepCallback =
    std::function<bool(int64_t step, const at::Tensor& tokens, const at::Tensor& logits)>;

/// Continues `promptIds` [batch, pos]. Throws InputError when prompt + new tokens would exceed
/// the context (checked before the first step).
GenerationResult generate(TransformerModel& model, const at::Tensor& promptIds,
                          const GenerationOptions& options, const StepCallback& onStep = {});

}  // namespace attnscope::capture
