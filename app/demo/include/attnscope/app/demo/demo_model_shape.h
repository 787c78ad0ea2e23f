#pragma once
// The demo model's architecture and its Hugging Face config.json.
#include <cstdint>
#include <string>

namespace attnscope::app::demo {

/// A Llama-architecture model (RoPE, RMSNorm, SwiGLU, untied embeddings).
struct DemoModelShape {
    int64_t layers = 4;
    int64_t heads = 8;
    int64_t dModel = 128;
    int64_t dMlp = 128;
    int64_t context = 256;
    double ropeTheta = 10000.0;
    double normEps = 1e-5;
};

/// A LlamaForCausalLM config.json for `shape` over `vocabSize` words; `torchDtype` is the
/// checkpoint's dtype ("float32" or "bfloat16"). Throws std::invalid_argument for a shape the
/// runtime cannot build (heads not dividing d_model, non-positive sizes).
std::string demoConfigJson(const DemoModelShape& shape, int64_t vocabSize,
                           const std::string& torchDtype = "float32");

}  // namespace attnscope::app::demo
