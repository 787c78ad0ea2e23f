#pragma once
// Models and pairs for the patching tests: the parity checkpoints, a Qwen2-shaped random model,
// random prompt pairs differing at a chosen number of positions, and Spearman's rank
// correlation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits::test {

/// ../shared/fixtures/parity/<name> loaded (gpt2-tiny, llama-tiny-gqa); null when missing.
std::shared_ptr<capture::TransformerModel> parityModel(const std::string& name);
/// A Qwen2ForCausalLM-shaped model (q/k/v biases, GQA 4:2, RMSNorm, SwiGLU, RoPE, untied)
/// with seeded normal weights (edge_test_models.h's randomModel).
std::shared_ptr<capture::TransformerModel> qwen2ShapedModel(uint64_t seed = 0);
/// A model of `config.json` text with seeded normal(0, std) weights (norm weights kept at 1).
std::shared_ptr<capture::TransformerModel> randomModel(const std::string& configJson, uint64_t seed,
                                                       double std);

/// A pair of `length` random ids whose prompts differ at `differing` random positions.
PromptPair randomPair(int64_t vocab, int64_t length, int64_t differing, uint64_t seed);

/// Spearman's rank correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace attnscope::analysis::circuits::test
