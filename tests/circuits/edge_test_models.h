#pragma once
// Small seeded models of every supported architecture and prompt pairs for the edge-patching
// tests.
#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::circuits::test {

/// A model from config.json text with weights drawn from N(0, scale²) (seeded).
std::shared_ptr<capture::TransformerModel> randomModel(const std::string& configJson, uint64_t seed,
                                                       double scale = 0.3);
/// GPT-2 (LayerNorm, GELU, learned positions, biases), Llama with GQA (RMSNorm, SwiGLU, RoPE),
/// and Qwen2 (q/k/v biases, GQA, a sliding window from layer 1).
std::string gpt2Config();
std::string llamaGqaConfig();
std::string qwen2Config();

/// `count` pairs of `length` random tokens; the corrupted prompt differs in about half of the
/// positions.
std::vector<PromptPair> randomPairs(int64_t vocab, int count, int length, uint64_t seed);

/// Indices of the `count` largest |values|, largest first.
std::vector<int64_t> largestByMagnitude(const std::vector<double>& values, size_t count);

}  // namespace attnscope::analysis::circuits::test
