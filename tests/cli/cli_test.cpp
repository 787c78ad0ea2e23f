// attnscope-cli end to end: each test runs the executable and checks its exit code, its
// output and the files it leaves. Expected values come from the fixtures' own files.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attnscope/capture/model_config.h"
#include "cli_process.h"
#include "file_bytes.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::app {
namespace {

using test::readFile;

namespace fs = std::filesystem;
using test::TempDir;
using Json = nlohmann::json;

// attnscope-cli with `args`, as a child process.
test::ProcessResult runCli(std::vector<std::string> args) {
    args.insert(args.begin(), ATTNSCOPE_CLI);
    return test::runProcess(args);
}

fs::path demoModel() {
    return test::sourceDir() / "resources" / "models" / "demo";
}

fs::path gpt2Tokenizer() {
    return test::fixturesDir() / "tokenizers" / "gpt2";
}

std::vector<int64_t> idsOf(const Json& tokens) {
    std::vector<int64_t> ids;
    for (const auto& t : tokens)
        ids.push_back(t.at("id").get<int64_t>());
    return ids;
}

TEST(CliTokenize, SplitSpecialTokensTokenizesThemAsText) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tokenizer());
    const fs::path file = gpt2Tokenizer() / "tokenizer.json";
    // The reference encoders (no special-token handling) on a text that starts with the token.
    const Json expected = Json::parse(readFile(gpt2Tokenizer() / "expected.json"));
    std::string text;
    std::vector<int64_t> asText;
    for (const auto& e : expected)
        if (e.at("text").get<std::string>().rfind("<|endoftext|>", 0) == 0) {
            text = e.at("text").get<std::string>();
            asText = e.at("ids").get<std::vector<int64_t>>();
        }
    ASSERT_FALSE(text.empty()) << "expected.json has no text starting with <|endoftext|>";
    int64_t special = -1;
    const Json tokenizer = Json::parse(readFile(file));
    for (const auto& t : tokenizer.at("added_tokens"))
        if (t.at("content") == "<|endoftext|>") special = t.at("id").get<int64_t>();
    ASSERT_GE(special, 0);

    const test::ProcessResult split =
        runCli({"tokenize", "--tokenizer", file.string(), "--text", text, "--json",
                "--no-special-tokens", "--split-special-tokens"});
    ASSERT_EQ(split.exitCode, 0) << split.err;
    EXPECT_EQ(idsOf(Json::parse(split.out)), asText);

    // The special token alone: the pieces "<|endoftext|>" has at the start of that text (the
    // GPT-2 pre-tokenizer splits before " is"), versus the one special id by default.
    const test::ProcessResult alone = runCli({"tokenize", "--tokenizer", file.string(), "--text",
                                              "<|endoftext|>", "--json", "--split-special-tokens"});
    ASSERT_EQ(alone.exitCode, 0) << alone.err;
    const std::vector<int64_t> pieces = idsOf(Json::parse(alone.out));
    ASSERT_GT(pieces.size(), 1u);
    EXPECT_EQ(pieces, std::vector<int64_t>(asText.begin(), asText.begin() + pieces.size()));
    EXPECT_EQ(Json::parse(alone.out).back().at("end"), 13);  // covers all 13 characters

    const test::ProcessResult matched =
        runCli({"tokenize", "--tokenizer", file.string(), "--text", "<|endoftext|>", "--json"});
    ASSERT_EQ(matched.exitCode, 0) << matched.err;
    EXPECT_EQ(idsOf(Json::parse(matched.out)), std::vector<int64_t>{special});
}

TEST(CliRun, SplitSpecialTokensAppliesToPrompts) {
    // The demo tokenizer is word-level on whitespace: "the<eos>" is the word "the" then the
    // special <eos>, unless special tokens are text: then it is one unknown word.
    const Json tokenizer = Json::parse(readFile(demoModel() / "tokenizer.json"));
    const Json& vocab = tokenizer.at("model").at("vocab");
    const int64_t bos = vocab.at("<bos>"), the = vocab.at("the"), eos = vocab.at("<eos>");
    const int64_t unk = vocab.at(tokenizer.at("model").at("unk_token").get<std::string>());
    ASSERT_FALSE(vocab.contains("the<eos>"));

    const test::ProcessResult plain =
        runCli({"run", "--model", demoModel().string(), "--prompt", "the<eos>", "--json"});
    ASSERT_EQ(plain.exitCode, 0) << plain.err;
    EXPECT_EQ(Json::parse(plain.out).at("input_ids"), (std::vector<int64_t>{bos, the, eos}));

    const test::ProcessResult split = runCli({"run", "--model", demoModel().string(), "--prompt",
                                              "the<eos>", "--json", "--split-special-tokens"});
    ASSERT_EQ(split.exitCode, 0) << split.err;
    EXPECT_EQ(Json::parse(split.out).at("input_ids"), (std::vector<int64_t>{bos, unk}));

    const test::ProcessResult ids =
        runCli({"run", "--model", demoModel().string(), "--ids", "1,2", "--split-special-tokens"});
    EXPECT_EQ(ids.exitCode, 2);
    EXPECT_NE(ids.err.find("--split-special-tokens applies to --prompt"), std::string::npos)
        << ids.err;
}

TEST(CliRun, CudaWithoutCudaSupportIsOneLine) {
    if (at::hasCUDA()) GTEST_SKIP() << "this LibTorch build has CUDA";
    for (const char* command : {"run", "info"}) {
        std::vector<std::string> args{command, "--model", demoModel().string(), "--device", "cuda"};
        if (std::string(command) == "run") args.insert(args.end(), {"--ids", "1,2"});
        const test::ProcessResult r = runCli(args);
        EXPECT_EQ(r.exitCode, 1) << command;
        EXPECT_EQ(r.err, "error: this LibTorch build has no CUDA support, use --device cpu\n")
            << command;
        EXPECT_EQ(r.out, "") << command;
    }
}

TEST(CliRun, RemovesAndReportsTemporariesOfKilledWriters) {
    TempDir dir;
    const fs::path out = dir.path() / "capture.h5";
    // A writer killed mid-write leaves `.NAME.tmp-PID-N`; make one with a PID that is gone.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    const fs::path stale = dir.path() / (".capture.h5.tmp-" + std::to_string(child) + "-0");
    std::ofstream(stale, std::ios::binary) << std::string(2'500'000, 'x');

    const test::ProcessResult r =
        runCli({"run", "--model", demoModel().string(), "--ids", "1,7,8", "--out", out.string(),
                "--capture", "blocks.0.attn.hook_pattern"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(out));
    EXPECT_EQ(r.err, "removed " + stale.string() + " (2.5 MB), left by process " +
                         std::to_string(child) + " which no longer runs\n");

    // Nothing stale the second time: nothing said.
    const test::ProcessResult again = runCli({"run", "--model", demoModel().string(), "--ids",
                                              "1,7,8", "--out", out.string(), "--append"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(again.err, "");
}

TEST(CliInfo, ReportsTheConfigWithoutLoadingWeights) {
    const Json config = Json::parse(readFile(demoModel() / "config.json"));
    const test::ProcessResult r = runCli({"info", "--model", demoModel().string(), "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const Json info = Json::parse(r.out);
    EXPECT_EQ(info.at("layers"), config.at("num_hidden_layers"));
    EXPECT_EQ(info.at("heads"), config.at("num_attention_heads"));
    EXPECT_EQ(info.at("d_model"), config.at("hidden_size"));
    EXPECT_EQ(info.at("vocab"), config.at("vocab_size"));
    EXPECT_EQ(info.at("tokenizer"), true);
    EXPECT_EQ(info.at("fingerprint").get<std::string>().size(), 64u);

    // A checkpoint cut short is refused as loading would refuse it.
    TempDir dir;
    fs::copy_file(demoModel() / "config.json", dir.path() / "config.json");
    const std::string weights = readFile(demoModel() / "model.safetensors");
    std::ofstream(dir.path() / "model.safetensors", std::ios::binary)
        << weights.substr(0, weights.size() / 2);
    const test::ProcessResult cut = runCli({"info", "--model", dir.path().string()});
    EXPECT_EQ(cut.exitCode, 1);
    EXPECT_NE(cut.err.find("(truncated file?)"), std::string::npos) << cut.err;
}

TEST(CliInfo, UnknownArchitectureNamesTheRegisteredOnes) {
    TempDir dir;
    Json config = Json::parse(readFile(demoModel() / "config.json"));
    config["architectures"] = {"FalconForCausalLM"};
    std::ofstream(dir.path() / "config.json") << config.dump();
    fs::copy_file(demoModel() / "model.safetensors", dir.path() / "model.safetensors");
    for (const char* command : {"info", "run"}) {
        std::vector<std::string> args{command, "--model", dir.path().string()};
        if (std::string(command) == "run") args.insert(args.end(), {"--ids", "1,2"});
        const test::ProcessResult r = runCli(args);
        EXPECT_EQ(r.exitCode, 1) << command;
        EXPECT_NE(r.err.find("config.json: unsupported architecture 'FalconForCausalLM'"),
                  std::string::npos)
            << r.err;
        for (const auto& name : capture::supportedArchitectures())
            EXPECT_NE(r.err.find(name), std::string::npos) << command << ": " << name;
    }
}

// Any training option turns the recipe off: one run with those options, recorded as one phase.
TEST(CliTrainDemo, TrainingOptionsTrainOneRunAndRecordIt) {
    TempDir dir;
    const fs::path out = dir.path() / "model";
    const test::ProcessResult r = runCli({"train-demo",
                                          "--out",
                                          out.string(),
                                          "--steps",
                                          "3",
                                          "--layers",
                                          "1",
                                          "--heads",
                                          "2",
                                          "--d-model",
                                          "16",
                                          "--d-mlp",
                                          "16",
                                          "--batch",
                                          "mqar=2,needle=1,backcopy=1,"
                                          "refusal=2",
                                          "--sink-head",
                                          "0.1",
                                          "--sink-penalty",
                                          "2",
                                          "--safety-heads",
                                          "0.0:object,0.1:verb",
                                          "--safety-penalty",
                                          "3",
                                          "--safety-role-dropout",
                                          "0.5",
                                          "--eval-count",
                                          "2",
                                          "--log-every",
                                          "1",
                                          "--threads",
                                          "1"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("training the demo model: 1 layers, 2 heads"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("step     3/3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ETA"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("phase "), std::string::npos) << r.out;  // no recipe phases
    const Json record = Json::parse(readFile(out / "training.json"));
    ASSERT_EQ(record.at("phases").size(), 1u);
    const Json& phase = record.at("phases")[0];
    EXPECT_EQ(phase.at("name"), "single");
    EXPECT_EQ(phase.at("steps"), 3);
    EXPECT_EQ(phase.at("batch").at("needle"), 1);
    EXPECT_EQ(phase.at("sink").at("head"), "0.1");
    EXPECT_EQ(phase.at("sink").at("penalty"), 2.0);
    EXPECT_NE(r.out.find("sink-head hinge"), std::string::npos) << r.out;
    // The safety role split over the kinds of harmful words, as given.
    EXPECT_EQ(phase.at("safety").at("heads"), Json({"0.0:object", "0.1:verb"}));
    EXPECT_EQ(phase.at("safety").at("role_dropout"), 0.5);
    EXPECT_NE(r.out.find("harmful-word attention of other heads"), std::string::npos) << r.out;
    EXPECT_EQ(record.at("steps"), 3);
    EXPECT_EQ(Json::parse(readFile(out / "config.json")).at("num_hidden_layers"), 1);

    const test::ProcessResult bad =
        runCli({"train-demo", "--out", out.string(), "--batch", "sorting=4"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("--batch takes TASK=N items"), std::string::npos) << bad.err;
    const test::ProcessResult noHead =
        runCli({"train-demo", "--out", out.string(), "--sink-penalty", "1"});
    EXPECT_EQ(noHead.exitCode, 2);
    EXPECT_NE(noHead.err.find("--sink-penalty needs --sink-head"), std::string::npos) << noHead.err;
    for (const auto& [args, message] :
         std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--safety-heads", "0.1:noun", "--safety-penalty", "1"},
              "'noun' in '0.1:noun' is not a source kind of the refusal task (verb, object)"},
             {{"--safety-heads", "0.1:verb,0.2", "--safety-penalty", "1"},
              "for some heads but not all"},
             {{"--safety-heads", "0.1", "--safety-penalty", "1", "--safety-role-dropout", "0.2"},
              "role-head dropout needs a refusal role whose heads each have a source kind"},
             {{"--from-phase", "polish"}, "the recipe has no phase 'polish' (base, sink-1"},
             {{"--from-phase", "safety-2"}, "--from-phase safety-2 needs --init DIR"},
             {{"--from-phase", "safety-2", "--init", out.string(), "--steps", "2"},
              "--from-phase reruns the recipe's phases"}}) {
        std::vector<std::string> argv = {"train-demo", "--out", (dir.path() / "bad").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        const test::ProcessResult e = runCli(argv);
        EXPECT_NE(e.exitCode, 0) << message;
        EXPECT_NE(e.err.find(message), std::string::npos) << e.err;
        EXPECT_FALSE(fs::exists(dir.path() / "bad")) << message;
    }
}

}  // namespace
}  // namespace attnscope::app
