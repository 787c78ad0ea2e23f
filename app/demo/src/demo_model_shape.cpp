#include "attnscope/app/demo/demo_model_shape.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "attnscope/app/demo/demo_vocabulary.h"

namespace attnscope::app::demo {

std::string demoConfigJson(const DemoModelShape& shape, int64_t vocabSize,
                           const std::string& torchDtype) {
    if (shape.layers < 1 || shape.heads < 1 || shape.dModel < 1 || shape.dMlp < 1 ||
        shape.context < 2 || vocabSize < 1)
        throw std::invalid_argument("demo model shape: sizes must be positive");
    if (shape.dModel % shape.heads != 0 || (shape.dModel / shape.heads) % 2 != 0)
        throw std::invalid_argument("demo model shape: d_model " + std::to_string(shape.dModel) +
                                    " must split into " + std::to_string(shape.heads) +
                                    " heads of even size");
    const nlohmann::ordered_json j = {{"architectures", {"LlamaForCausalLM"}},
                                      {"model_type", "llama"},
                                      {"vocab_size", vocabSize},
                                      {"hidden_size", shape.dModel},
                                      {"intermediate_size", shape.dMlp},
                                      {"num_hidden_layers", shape.layers},
                                      {"num_attention_heads", shape.heads},
                                      {"num_key_value_heads", shape.heads},
                                      {"head_dim", shape.dModel / shape.heads},
                                      {"max_position_embeddings", shape.context},
                                      {"hidden_act", "silu"},
                                      {"rms_norm_eps", shape.normEps},
                                      {"rope_theta", shape.ropeTheta},
                                      {"attention_bias", false},
                                      {"mlp_bias", false},
                                      {"tie_word_embeddings", false},
                                      {"bos_token_id", DemoVocabulary::kBos},
                                      {"eos_token_id", DemoVocabulary::kEos},
                                      {"pad_token_id", DemoVocabulary::kPad},
                                      {"torch_dtype", torchDtype}};
    return j.dump(2) + "\n";
}

}  // namespace attnscope::app::demo
