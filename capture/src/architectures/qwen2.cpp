// Qwen2ForCausalLM: Llama's layout with q/k/v biases; the sliding window, when enabled, applies
// from layer max_window_layers on.
#include "../config_reader.h"
#include "llama_family.h"

namespace attnscope::capture {
namespace {

void readQwen2Config(const ConfigReader& r, ModelConfig& c) {
    readLlamaFamilyConfig(r, c);
    c.qkvBias = true;
    if (r.optionalBool("use_sliding_window", false)) {
        c.slidingWindow = r.optionalInt({"sliding_window"});
        auto from = r.optionalInt({"max_window_layers"});
        c.slidingWindowFromLayer = from ? *from : 0;
    }
}

}  // namespace

const Architecture& qwen2Architecture() {
    static const Architecture a{
        {"Qwen2ForCausalLM"}, {"qwen2"}, readQwen2Config, llamaFamilyWeightTable};
    return a;
}

}  // namespace attnscope::capture
