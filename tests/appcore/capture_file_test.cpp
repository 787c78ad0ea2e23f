// Parity fixtures captured to HDF5 files and read back with the C++ reader and with h5py.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "attnscope/app/capture_export.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/store/capture_reader.h"
#include "fixture_paths.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;

at::Tensor fromVector(const std::vector<float>& v, const std::vector<int64_t>& shape) {
    return at::tensor(v).view(shape);
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

class CaptureFileTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        dir = test::fixturesDir() / "parity" / GetParam();
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        opened = openModel(dir);
        expected = std::make_unique<capture::SafetensorsFile>(dir / "expected.safetensors");
        ids = expected->read("input_ids");
        out = fs::temp_directory_path() /
              ("attnscope-capture-" + GetParam() + "-" + std::to_string(::getpid()) + ".h5");
    }
    void TearDown() override { fs::remove(out); }

    // Writes one run per fixture sequence (the second appended to the first's file).
    void captureAll(const std::vector<std::string>& hooks, bool longContext) {
        capture::CaptureSpec spec;
        spec.hooks = hooks;
        for (int64_t b = 0; b < ids.size(0); ++b) {
            const auto row = ids[b];
            PromptTokens prompt =
                promptFromIds(opened, std::vector<int64_t>(row.data_ptr<int64_t>(),
                                                           row.data_ptr<int64_t>() + row.numel()));
            CaptureFileOptions options;
            options.append = b > 0;
            options.longContext = longContext;
            runPromptToFile(opened, prompt, spec, {}, 5, out, options);
        }
    }

    fs::path dir, out;
    OpenedModel opened;
    std::unique_ptr<capture::SafetensorsFile> expected;
    at::Tensor ids;
};

TEST_P(CaptureFileTest, CppReaderGivesTheReferenceValues) {
    captureAll({"blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post", "logits"}, false);
    store::CaptureReader reader(out);
    ASSERT_EQ(reader.runCount(), ids.size(0));
    EXPECT_EQ(reader.model().architecture, opened.model->config().architecture);
    EXPECT_EQ(reader.model().fingerprint, opened.model->fingerprint());
    for (int64_t b = 0; b < ids.size(0); ++b) {
        EXPECT_EQ(reader.run(b).inputIds.size(), static_cast<std::size_t>(ids.size(1)));
        for (int64_t l = 0; l < opened.model->config().nLayers; ++l) {
            const std::string p = "blocks." + std::to_string(l);
            const auto pattern = expected->read(p + ".attn.hook_pattern")[b];
            const auto shape = reader.shape(b, p + ".attn.hook_pattern");
            EXPECT_LE(
                maxDiff(fromVector(reader.readHook(b, p + ".attn.hook_pattern"), shape), pattern),
                1e-4);
            // One head lazily, and a tile of it.
            const int head = 1;
            const auto headMap = fromVector(reader.readHeadPattern(b, static_cast<int>(l), head),
                                            {ids.size(1), ids.size(1)});
            EXPECT_LE(maxDiff(headMap, pattern[head]), 1e-4);
            const auto tile = fromVector(
                reader.readPatternTile(b, static_cast<int>(l), head, 2, 6, 1, 4), {4, 3});
            EXPECT_LE(maxDiff(tile, pattern[head].slice(0, 2, 6).slice(1, 1, 4)), 1e-4);
            const auto resid = expected->read(p + ".hook_resid_post")[b];
            EXPECT_LE(
                maxDiff(fromVector(reader.readHook(b, p + ".hook_resid_post"), resid.sizes().vec()),
                        resid),
                1e-4 * resid.abs().max().item<double>() + 1e-5);
        }
    }
}

TEST_P(CaptureFileTest, LongContextCaptureRebuildsEveryPatternExactly) {
    captureAll({}, true);
    store::CaptureReader reader(out);
    const int64_t T = ids.size(1);
    for (int64_t b = 0; b < ids.size(0); ++b)
        for (int l = 0; l < opened.model->config().nLayers; ++l) {
            const std::string p = "blocks." + std::to_string(l);
            EXPECT_FALSE(reader.hasHook(b, p + ".attn.hook_pattern"));
            ASSERT_TRUE(reader.hasPattern(b, l));
            const auto pattern = expected->read(p + ".attn.hook_pattern")[b];
            for (int h = 0; h < opened.model->config().nHeads; ++h) {
                const auto rebuilt = fromVector(reader.readHeadPattern(b, l, h), {T, T});
                EXPECT_LE(maxDiff(rebuilt, pattern[h]), 1e-5) << p << " head " << h;
            }
            const auto tile = fromVector(reader.readPatternTile(b, l, 2, 5, T, 0, 7), {T - 5, 7});
            EXPECT_LE(maxDiff(tile, pattern[2].slice(0, 5, T).slice(1, 0, 7)), 1e-5);
        }
}

TEST_P(CaptureFileTest, H5pyReadsTheSameValues) {
    captureAll({"blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post", "logits"}, false);
    const std::string cmd = std::string("/usr/bin/python3 ") + ATTNSCOPE_H5PY_CHECK + " " +
                            out.string() + " " + (dir / "expected.safetensors").string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CaptureFileTest,
                         ::testing::Values("gpt2-tiny", "llama-tiny-gqa"));

}  // namespace
}  // namespace attnscope::app
