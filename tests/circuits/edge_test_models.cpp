#include "edge_test_models.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "attnscope/capture/model_config.h"

namespace attnscope::analysis::circuits::test {

std::shared_ptr<capture::TransformerModel> randomModel(const std::string& configJson, uint64_t seed,
                                                       double scale) {
    const auto config = capture::parseModelConfig(configJson, "test config");
    auto model =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    at::NoGradGuard noGrad;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& p : model->parameters())
        p.normal_(0.0, scale, generator);
    return model;
}

std::string gpt2Config() {
    return R"({"architectures":["GPT2LMHeadModel"],"vocab_size":40,"n_positions":32,
               "n_embd":32,"n_layer":3,"n_head":4})";
}

std::string llamaGqaConfig() {
    return R"({"architectures":["LlamaForCausalLM"],"vocab_size":40,"hidden_size":32,
               "intermediate_size":48,"num_hidden_layers":3,"num_attention_heads":4,
               "num_key_value_heads":2,"max_position_embeddings":64,"rms_norm_eps":1e-6})";
}

std::string qwen2Config() {
    return R"({"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","vocab_size":40,
               "hidden_size":32,"intermediate_size":48,"num_hidden_layers":3,
               "num_attention_heads":4,"num_key_value_heads":1,"max_position_embeddings":64,
               "use_sliding_window":true,"sliding_window":4,"max_window_layers":1,
               "tie_word_embeddings":true})";
}

std::vector<PromptPair> randomPairs(int64_t vocab, int count, int length, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> token(0, vocab - 1);
    std::vector<PromptPair> pairs(static_cast<size_t>(count));
    for (auto& p : pairs) {
        for (int i = 0; i < length; ++i) {
            p.clean.push_back(token(rng));
            p.corrupted.push_back(rng() % 2 ? token(rng) : p.clean.back());
        }
        p.answer = token(rng);
        do
            p.wrong = token(rng);
        while (p.wrong == p.answer);
    }
    return pairs;
}

std::vector<int64_t> largestByMagnitude(const std::vector<double>& values, size_t count) {
    std::vector<int64_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return std::fabs(values[static_cast<size_t>(a)]) >
               std::fabs(values[static_cast<size_t>(b)]);
    });
    order.resize(std::min(count, order.size()));
    return order;
}

}  // namespace attnscope::analysis::circuits::test
