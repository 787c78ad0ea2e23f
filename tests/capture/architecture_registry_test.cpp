// The architecture registry: which config selects which architecture, the error for one that is
// not registered, and the weight tables applied in both directions.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>

#include "attnscope/capture/checkpoint_writer.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::capture {
namespace {

std::string errorOf(const std::string& json, const std::string& label) {
    try {
        parseModelConfig(json, label);
    } catch (const ModelLoadError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected ModelLoadError for " << json;
    return {};
}

// The names a user can put in config.json today; the registry must know at least these.
const std::set<std::string> kKnownNames = {"GPT2LMHeadModel", "LlamaForCausalLM",
                                           "MistralForCausalLM", "Qwen2ForCausalLM"};

TEST(ArchitectureRegistry, UnknownArchitectureErrorListsEveryRegisteredName) {
    const auto& registered = supportedArchitectures();
    for (const auto& name : kKnownNames)
        EXPECT_EQ(std::count(registered.begin(), registered.end(), name), 1) << name;
    const std::string message =
        errorOf(R"({"architectures": ["BertModel"], "vocab_size": 5})", "bert/config.json");
    EXPECT_EQ(message.rfind("bert/config.json: unsupported architecture 'BertModel'", 0), 0)
        << message;
    for (const auto& name : registered)
        EXPECT_NE(message.find(name), std::string::npos) << name << " missing in: " << message;
}

TEST(ArchitectureRegistry, UnknownModelTypeWithoutArchitecturesListsTheNamesToo) {
    const std::string message = errorOf(R"({"model_type": "bert"})", "m/config.json");
    EXPECT_NE(message.find("'bert'"), std::string::npos) << message;
    EXPECT_NE(message.find("missing field 'architectures'"), std::string::npos) << message;
    for (const auto& name : supportedArchitectures())
        EXPECT_NE(message.find(name), std::string::npos) << name << " missing in: " << message;
    const std::string badList = errorOf(R"({"architectures": "LlamaForCausalLM"})", "m");
    EXPECT_NE(badList.find("'architectures' must be a non-empty list"), std::string::npos)
        << badList;
}

// A Llama-shaped config body; each architecture reads its own extra fields from it.
std::string llamaShaped(const std::string& head) {
    return "{" + head +
           R"(, "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48,
        "max_position_embeddings": 128, "sliding_window": 16, "use_sliding_window": true,
        "max_window_layers": 1, "attention_bias": true})";
}

TEST(ArchitectureRegistry, ModelTypeAloneSelectsTheArchitectureAndItsFieldMapping) {
    const ModelConfig llama = parseModelConfig(llamaShaped(R"("model_type": "llama")"), "l");
    EXPECT_EQ(llama.architecture, "LlamaForCausalLM");
    EXPECT_FALSE(llama.slidingWindow);  // Llama has no sliding window: the field is not read
    EXPECT_TRUE(llama.qkvBias && llama.outBias);

    const ModelConfig mistral = parseModelConfig(llamaShaped(R"("model_type": "mistral")"), "m");
    EXPECT_EQ(mistral.architecture, "MistralForCausalLM");
    ASSERT_TRUE(mistral.slidingWindow);
    EXPECT_EQ(*mistral.slidingWindow, 16);
    EXPECT_EQ(mistral.slidingWindowFromLayer, 0);  // every layer

    const ModelConfig qwen = parseModelConfig(llamaShaped(R"("model_type": "qwen2")"), "q");
    EXPECT_EQ(qwen.architecture, "Qwen2ForCausalLM");
    EXPECT_TRUE(qwen.qkvBias);
    EXPECT_FALSE(qwen.outBias);  // Qwen2 has q/k/v biases only, whatever attention_bias says
    EXPECT_EQ(qwen.slidingWindowFromLayer, 1);
    EXPECT_FALSE(qwen.usesSlidingWindow(0));
    EXPECT_TRUE(qwen.usesSlidingWindow(1));

    const ModelConfig gpt2 = parseModelConfig(
        R"({"model_type": "gpt2", "vocab_size": 64, "n_embd": 32, "n_layer": 2, "n_head": 4,
            "n_positions": 128})",
        "g");
    EXPECT_EQ(gpt2.architecture, "GPT2LMHeadModel");
    EXPECT_EQ(gpt2.dMlp, 4 * 32);
    EXPECT_EQ(gpt2.positions, PositionKind::Learned);
}

// The weight table read backwards writes a checkpoint the loader reads back to the same model,
// for an architecture whose table transposes (GPT-2's Conv1D) as for one that fuses q/k/v.
TEST(ArchitectureRegistry, WeightTablesRoundTripThroughTheCheckpointWriter) {
    for (const char* fixture : {"gpt2-tiny", "llama-tiny-gqa"}) {
        const auto source = test::fixturesDir() / "parity" / fixture;
        ATTNSCOPE_REQUIRE_FIXTURE(source);
        auto model = loadModel(source);
        test::TempDir dir;
        writeCheckpoint(*model, dir.path());
        std::filesystem::copy_file(source / "config.json", dir.path() / "config.json");
        auto reloaded = loadModel(dir.path());
        const auto a = model->named_parameters(), b = reloaded->named_parameters();
        ASSERT_EQ(a.size(), b.size()) << fixture;
        for (const auto& item : a)
            EXPECT_TRUE(at::equal(item.value(), b[item.key()])) << fixture << " " << item.key();
        // Every tensor written is one the original checkpoint has (less its mask buffers and
        // name prefix), and as many weights as the model has parameters are written.
        SafetensorsFile written(dir.path() / "model.safetensors");
        const SafetensorsFile original(source / "model.safetensors");
        for (const auto& [name, info] : written.header().tensors)
            EXPECT_TRUE(original.header().tensors.count(name) ||
                        original.header().tensors.count("transformer." + name))
                << fixture << " wrote " << name;
    }
}

}  // namespace
}  // namespace attnscope::capture
