// MistralForCausalLM: Llama's layout with a sliding attention window in every layer.
#include "../config_reader.h"
#include "llama_family.h"

namespace attnscope::capture {
namespace {

void readMistralConfig(const ConfigReader& r, ModelConfig& c) {
    readLlamaFamilyConfig(r, c);
    readLlamaBiases(r, c);
    c.slidingWindow = r.optionalInt({"sliding_window"});
}

}  // namespace

const Architecture& mistralArchitecture() {
    static const Architecture a{
        {"MistralForCausalLM"}, {"mistral"}, readMistralConfig, llamaFamilyWeightTable};
    return a;
}

}  // namespace attnscope::capture
