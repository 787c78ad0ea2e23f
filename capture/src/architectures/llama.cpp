// LlamaForCausalLM (Llama 1-3, TinyLlama, ...).
#include "llama_family.h"

namespace attnscope::capture {
namespace {

void readLlamaConfig(const ConfigReader& r, ModelConfig& c) {
    readLlamaFamilyConfig(r, c);
    readLlamaBiases(r, c);
}

}  // namespace

const Architecture& llamaArchitecture() {
    static const Architecture a{
        {"LlamaForCausalLM"}, {"llama"}, readLlamaConfig, llamaFamilyWeightTable};
    return a;
}

}  // namespace attnscope::capture
