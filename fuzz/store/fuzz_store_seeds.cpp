// Writes seed corpora for the store fuzz targets: small valid captures of each kind for
// fuzz_capture_reader, and JSON attribute sets for fuzz_capture_json.
// Usage: fuzz_store_seeds READER_CORPUS_DIR JSON_CORPUS_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_writer.h"

namespace {

using namespace attnscope::store;
namespace fs = std::filesystem;

RunInfo smallRun(int64_t tokens) {
    RunInfo run{"seed \xC3\xA9", {}, {}, {}, R"({"hooks": ["*"]})", R"([{"kind": "ablate"}])", 2};
    for (int64_t t = 0; t < tokens; ++t) {
        run.inputIds.push_back(t + 10);
        run.tokens.push_back("t" + std::to_string(t));
        run.offsets.push_back({t, t + 1});
    }
    return run;
}

// The edge table of a one-layer, one-head graph: input -> a0.h0 <q>, <k>, <v>; input and
// a0.h0 -> m0; input, a0.h0 and m0 -> logits.
CircuitRecord smallCircuit() {
    CircuitRecord c;
    c.layers = c.heads = c.kvHeads = 1;
    c.method = "eap-ig";
    c.parametersJson = R"({"steps": 5})";
    c.nodeNames = {"input", "a0.h0", "m0", "logits"};
    c.sender = {0, 0, 0, 0, 1, 0, 1, 2};
    c.receiver = {1, 1, 1, 2, 2, 3, 3, 3};
    c.port = {'q', 'k', 'v', '-', '-', '-', '-', '-'};
    c.score = {0.5f, -0.25f, 1.0f, 2.0f, 0.0f, 1.5f, -1.0f, 0.75f};
    c.kept = {1, 0, 1, 1, 0, 0, 1, 1};
    c.curveFraction = {0.5, 1.0};
    c.curveEdges = {4, 8};
    c.curveFaithfulness = {0.8, 1.0};
    return c;
}

void writeCapture(const fs::path& path, WriterOptions options, bool longContext) {
    CaptureWriter writer =
        CaptureWriter::create(path, options, {"LlamaForCausalLM", R"({"a": 1})", "float16", "fp"});
    writer.beginRun(smallRun(4));
    std::vector<float> values(2 * 4 * 4);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = float(i) / 32.0f;
    if (longContext) {
        writer.writeHook(rotQHookName(0), {values.data(), {4, 2, 4}});
        writer.writeHook(rotKHookName(0), {values.data(), {4, 1, 4}});
        writer.writeLse(0, {values.data(), {2, 4}}, 0.5f, 0.0f);
    } else {
        writer.writeHook(patternHookName(0), {values.data(), {2, 4, 4}});
        writer.writeHook("blocks.0.hook_resid_post", {values.data(), {4, 8}});
    }
    writer.writeScores("sink_mass", "0", {2, 2, {1, 2, 3, 4}}, R"({"k": 1})");
    writer.writeCircuit("circuit", smallCircuit());
    writer.commit();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s READER_CORPUS_DIR JSON_CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const fs::path readerDir = argv[1], jsonDir = argv[2];
    fs::create_directories(readerDir);
    fs::create_directories(jsonDir);
    writeCapture(readerDir / "direct.h5", {}, false);
    writeCapture(readerDir / "long_context.h5", {}, true);
    writeCapture(readerDir / "half_deflate.h5", {StorageType::Float16, true, 4}, false);

    using namespace std::string_literals;  // "..."s keeps the NUL separators
    const std::vector<std::string> jsonSeeds = {
        "{\"n_layer\": 12}\0{\"hooks\": []}\0[]\0{}"s,
        "[1, 2.5e3, \"x\\u00e9\"]\0null\0[{\"kind\": \"scale\", \"factor\": -0.5}]\0{\"a\": {\"b\": [true, false]}}"s,
        "{\0[\0\"\0{}}"s,
    };
    for (size_t i = 0; i < jsonSeeds.size(); ++i)
        std::ofstream(jsonDir / ("seed" + std::to_string(i)), std::ios::binary) << jsonSeeds[i];
    return 0;
}
