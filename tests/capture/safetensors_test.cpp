// Malformed checkpoints and configs: each gives a clear error naming the file and the problem.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attnscope/capture/checkpoint_writer.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/safetensors_writer.h"
#include "attnscope/capture/transformer_model.h"
#include "file_bytes.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::capture {
namespace {

using test::readFile;
using test::writeFile;

namespace fs = std::filesystem;
using test::TempDir;

// A safetensors file from a header JSON and `dataBytes` zero bytes.
std::string rawSafetensors(const std::string& json, std::size_t dataBytes) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
    return out + json + std::string(dataBytes, '\0');
}

// Expects `fn` to throw ModelLoadError whose message contains every fragment.
template <typename Fn>
void expectLoadError(Fn fn, const std::vector<std::string>& fragments) {
    try {
        fn();
        FAIL() << "expected ModelLoadError";
    } catch (const ModelLoadError& e) {
        for (const auto& f : fragments)
            EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
                << "message '" << e.what() << "' lacks '" << f << "'";
    }
}

TEST(SafetensorsTest, RoundTripsTensorsWrittenByTheWriter) {
    TempDir dir;
    const auto path = dir.path() / "t.safetensors";
    const at::Tensor a = at::arange(12, at::kFloat).view({3, 4});
    const at::Tensor b = at::arange(5, at::kLong);
    const at::Tensor c = at::randn({2, 3}).to(at::kBFloat16);
    writeSafetensors(path, {{"a", a}, {"b", b}, {"c", c}}, {{"format", "pt"}});
    SafetensorsFile f(path);
    EXPECT_EQ(f.header().metadata.at("format"), "pt");
    EXPECT_EQ(f.header().dataOffset % 8, 0u);
    EXPECT_TRUE(at::equal(f.read("a"), a));
    EXPECT_TRUE(at::equal(f.read("b"), b));
    EXPECT_TRUE(at::equal(f.read("c"), c));
}

TEST(SafetensorsTest, RejectsTruncatedAndLyingHeaders) {
    TempDir dir;
    const auto p = dir.path() / "bad.safetensors";
    const std::string entry = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";

    writeFile(p, "abc");
    expectLoadError([&] { SafetensorsFile f(p); }, {p.string(), "too short"});

    std::string lying = rawSafetensors(entry, 16);
    lying[0] = '\xff';
    lying[1] = '\xff';
    writeFile(p, lying);
    expectLoadError([&] { SafetensorsFile f(p); }, {p.string(), "header length", "beyond"});

    writeFile(p, rawSafetensors(entry, 10));  // data cut short
    expectLoadError([&] { SafetensorsFile f(p); }, {p.string(), "'w'", "beyond the data region"});

    writeFile(p,
              rawSafetensors(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 16));
    expectLoadError([&] { SafetensorsFile f(p); }, {"'w'", "occupies 12 bytes", "need 16"});

    writeFile(p, rawSafetensors(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}})", 2));
    expectLoadError([&] { SafetensorsFile f(p); }, {"unknown dtype 'Q4'"});

    writeFile(p, rawSafetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                12));
    expectLoadError([&] { SafetensorsFile f(p); }, {"'a' and 'b' overlap"});

    writeFile(p, rawSafetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8));
    expectLoadError([&] { SafetensorsFile f(p); }, {"begin > end"});

    writeFile(p, rawSafetensors("{not json", 0));
    expectLoadError([&] { SafetensorsFile f(p); }, {"not valid JSON"});

    writeFile(p, rawSafetensors(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8));
    expectLoadError([&] { SafetensorsFile f(p); }, {"non-negative"});
}

class BrokenModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        source = test::fixturesDir() / "parity" / "gpt2-tiny";
        ATTNSCOPE_REQUIRE_FIXTURE(source);
        fs::copy_file(source / "config.json", dir.path() / "config.json");
        fs::copy_file(source / "model.safetensors", dir.path() / "model.safetensors");
    }
    std::vector<std::pair<std::string, at::Tensor>> tensors() {
        SafetensorsFile f(source / "model.safetensors");
        std::vector<std::pair<std::string, at::Tensor>> out;
        for (const auto& [name, info] : f.header().tensors)
            out.emplace_back(name, f.read(name));
        return out;
    }
    fs::path source;
    TempDir dir;
};

TEST_F(BrokenModelTest, ShapeDisagreeingWithConfigNamesTensorAndShapes) {
    std::string config = readFile(dir.path() / "config.json");
    config.replace(config.find("\"n_positions\": 128"), 18, "\"n_positions\": 64");
    writeFile(dir.path() / "config.json", config);
    expectLoadError([&] { loadModel(dir.path()); }, {"wpe.weight", "[128, 64]", "[64, 64]"});
}

TEST_F(BrokenModelTest, MissingTensorIsNamed) {
    auto t = tensors();
    t.erase(
        std::remove_if(t.begin(), t.end(),
                       [](auto& p) { return p.first.find("h.1.ln_2.bias") != std::string::npos; }),
        t.end());
    writeSafetensors(dir.path() / "model.safetensors", t);
    expectLoadError([&] { loadModel(dir.path()); }, {"missing tensor", "h.1.ln_2.bias"});
}

TEST_F(BrokenModelTest, UnexpectedTensorIsNamed) {
    auto t = tensors();
    t.emplace_back("transformer.h.0.extra.weight", at::zeros({3}));
    writeSafetensors(dir.path() / "model.safetensors", t);
    expectLoadError([&] { loadModel(dir.path()); }, {"unexpected tensor", "h.0.extra.weight"});
}

TEST_F(BrokenModelTest, MalformedConfigsNameTheField) {
    const auto cfg = dir.path() / "config.json";
    writeFile(cfg, "{\"architectures\": [\"GPT2LMHeadModel\"], \"n_embd\": 64");
    expectLoadError([&] { loadModel(dir.path()); }, {cfg.string(), "not valid JSON"});
    writeFile(cfg, R"({"architectures": ["BertModel"], "vocab_size": 5})");
    expectLoadError([&] { loadModel(dir.path()); }, {"unsupported architecture 'BertModel'",
                                                     "GPT2LMHeadModel", "Qwen2ForCausalLM"});
    writeFile(
        cfg,
        R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 512, "n_embd": "64", "n_layer": 2, "n_head": 4, "n_positions": 128})");
    expectLoadError([&] { loadModel(dir.path()); }, {"'n_embd'", "integer"});
    writeFile(
        cfg,
        R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 512, "n_layer": 2, "n_head": 4, "n_positions": 128})");
    expectLoadError([&] { loadModel(dir.path()); }, {"missing required field 'n_embd'"});
    writeFile(
        cfg,
        R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 512, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 8, "max_position_embeddings": 64})");
    expectLoadError([&] { loadModel(dir.path()); }, {"multiple of num_key_value_heads"});
}

TEST_F(BrokenModelTest, NoCheckpointAndPickleOnlyFoldersAreRefused) {
    fs::remove(dir.path() / "model.safetensors");
    writeFile(dir.path() / "pytorch_model.bin", "pickle bytes that must never be unpickled");
    expectLoadError([&] { loadModel(dir.path()); }, {"no model.safetensors", "never loaded"});
}

TEST_F(BrokenModelTest, ShardedCheckpointLoadsLikeTheSingleFile) {
    auto t = tensors();
    const std::size_t half = t.size() / 2;
    std::vector<std::pair<std::string, at::Tensor>> a(t.begin(), t.begin() + half),
        b(t.begin() + half, t.end());
    fs::remove(dir.path() / "model.safetensors");
    writeSafetensors(dir.path() / "model-00001-of-00002.safetensors", a);
    writeSafetensors(dir.path() / "model-00002-of-00002.safetensors", b);
    nlohmann::json index;
    for (const auto& [n, x] : a)
        index["weight_map"][n] = "model-00001-of-00002.safetensors";
    for (const auto& [n, x] : b)
        index["weight_map"][n] = "model-00002-of-00002.safetensors";
    writeFile(dir.path() / "model.safetensors.index.json", index.dump());
    auto sharded = loadModel(dir.path());
    auto single = loadModel(source);
    const at::Tensor ids = at::arange(10, at::kLong).unsqueeze(0);
    EXPECT_TRUE(at::equal(sharded->forward(ids), single->forward(ids)));

    index["weight_map"]["transformer.wte.weight"] = "../escape.safetensors";
    writeFile(dir.path() / "model.safetensors.index.json", index.dump());
    expectLoadError([&] { loadModel(dir.path()); }, {"invalid file"});
}

TEST(ModelLoadProgressTest, ReportsBytesReadAndStopsWhenCancelled) {
    const fs::path dir = test::fixturesDir() / "parity" / "gpt2-tiny";
    ATTNSCOPE_REQUIRE_FIXTURE(dir);
    SafetensorsFile file(dir / "model.safetensors");
    uint64_t total = 0, largest = 0;
    for (const auto& [name, info] : file.header().tensors) {
        total += info.end - info.begin;
        largest = std::max(largest, info.end - info.begin);
    }
    const auto tensorCount = file.header().tensors.size();

    // Uncancelled: rising fractions, at most one per tensor and a final 1 (tensors the
    // architecture ignores are not read), each step at most one tensor's share.
    std::vector<double> seen;
    LoadOptions options;
    options.progress = Progress([&](double f, const std::string&) { seen.push_back(f); });
    loadModel(dir, options);
    ASSERT_FALSE(seen.empty());
    EXPECT_LE(seen.size(), tensorCount + 1);
    EXPECT_DOUBLE_EQ(seen.back(), 1.0);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        EXPECT_GE(seen[i], seen[i - 1]);
        EXPECT_LE(seen[i] - seen[i - 1], double(largest) / double(total) + 1e-12);
    }

    // Cancelled after the third tensor: the load stops there instead of reading the rest.
    std::atomic<bool> cancel{false};
    int calls = 0;
    options.progress = Progress(
        [&](double, const std::string&) {
            if (++calls == 3) cancel.store(true);
        },
        &cancel);
    EXPECT_THROW(loadModel(dir, options), Cancelled);
    EXPECT_EQ(calls, 3);
}

TEST_F(BrokenModelTest, BadRunInputsGiveInputErrors) {
    auto model = loadModel(source);
    auto expectInputError = [&](const at::Tensor& ids, const std::string& fragment) {
        try {
            model->forward(ids);
            FAIL() << "expected InputError";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expectInputError(at::tensor(std::vector<int64_t>{1, 512}).unsqueeze(0),
                     "token id 512 is out of range");
    expectInputError(at::tensor(std::vector<int64_t>{-1, 3}).unsqueeze(0),
                     "token id -1 is out of range");
    expectInputError(at::zeros({1, 129}, at::kLong), "longer than the model's context of 128");
    expectInputError(at::zeros({1, 0}, at::kLong), "empty");
}

TEST(MemoryEstimateTest, SevenBillionParameterModelNeedsAboutTwiceAsMuchInFloat32) {
    const std::string llama7b = R"({"architectures":["LlamaForCausalLM"],"vocab_size":32000,
        "hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,
        "intermediate_size":11008,"max_position_embeddings":4096})";
    const ModelConfig c = parseModelConfig(llama7b, "config.json");
    // Llama-2-7B has 6.74e9 parameters.
    EXPECT_NEAR(static_cast<double>(c.parameterCount()), 6.74e9, 0.01e9);
    const auto f32 = estimateMemory(c, ComputeDType::Float32);
    const auto bf16 = estimateMemory(c, ComputeDType::BFloat16);
    EXPECT_EQ(f32.weightBytes, 2 * bf16.weightBytes);
    EXPECT_LT(bf16.weightBytes, 24ull << 30);
    EXPECT_GT(f32.weightBytes, 24ull << 30);
}

}  // namespace
}  // namespace attnscope::capture

namespace attnscope::capture {
namespace {

TEST(CheckpointWriterTest, LlamaCheckpointRoundTripsThroughTheLoader) {
    const auto source = test::fixturesDir() / "parity" / "llama-tiny-gqa";
    ATTNSCOPE_REQUIRE_FIXTURE(source);
    auto model = loadModel(source);
    TempDir dir;
    writeCheckpoint(*model, dir.path());
    std::filesystem::copy_file(source / "config.json", dir.path() / "config.json");
    auto reloaded = loadModel(dir.path());
    const at::Tensor ids = at::arange(1, 17, at::kLong).unsqueeze(0);
    EXPECT_TRUE(at::equal(reloaded->forward(ids), model->forward(ids)));
    // The written file has exactly the tensors of the original checkpoint.
    SafetensorsFile original(source / "model.safetensors"),
        written(dir.path() / "model.safetensors");
    std::vector<std::string> a, b;
    for (const auto& [n, i] : original.header().tensors)
        a.push_back(n);
    for (const auto& [n, i] : written.header().tensors)
        b.push_back(n);
    EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace attnscope::capture
