// Model parity against the outputs of independent reference implementations
// (nanoGPT for GPT-2, llama2.c for Llama with GQA), see ../shared/fixtures/README.md.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::capture {
namespace {

class ParityTest : public ::testing::TestWithParam<std::string> {};

// Tolerances from the fixtures README.
void expectClose(const at::Tensor& actual, const at::Tensor& expected, const std::string& what,
                 bool relative) {
    ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
    const double maxDiff = (actual - expected).abs().max().item<double>();
    const double tol = relative ? 1e-4 * expected.abs().max().item<double>() + 1e-5 : 1e-4;
    EXPECT_LE(maxDiff, tol) << what;
}

TEST_P(ParityTest, PatternsResidualsAndLogitsMatchReference) {
    const auto dir = test::fixturesDir() / "parity" / GetParam();
    ATTNSCOPE_REQUIRE_FIXTURE(dir);
    auto model = loadModel(dir);
    SafetensorsFile expected(dir / "expected.safetensors");
    const at::Tensor ids = expected.read("input_ids");
    const int64_t layers = model->config().nLayers;

    std::map<std::string, at::Tensor> cache;
    HookScope scope(model->hooks());
    for (const auto& pattern : {"blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post"})
        scope.addMatching(pattern,
                          [&](at::Tensor& t, const HookContext& ctx) { cache[ctx.name] = t; });
    ForwardOptions options;
    options.allLogits = true;
    at::Tensor logits = model->forward(ids, options);

    expectClose(logits, expected.read("logits"), "logits", true);
    for (int64_t l = 0; l < layers; ++l) {
        const std::string p = "blocks." + std::to_string(l);
        expectClose(cache.at(p + ".attn.hook_pattern"), expected.read(p + ".attn.hook_pattern"),
                    p + " pattern", false);
        expectClose(cache.at(p + ".hook_resid_post"), expected.read(p + ".hook_resid_post"),
                    p + " resid_post", true);
    }
}

TEST_P(ParityTest, LastPositionLogitsEqualFullLogits) {
    const auto dir = test::fixturesDir() / "parity" / GetParam();
    ATTNSCOPE_REQUIRE_FIXTURE(dir);
    auto model = loadModel(dir);
    const at::Tensor ids = SafetensorsFile(dir / "expected.safetensors").read("input_ids");
    ForwardOptions all;
    all.allLogits = true;
    at::Tensor full = model->forward(ids, all);
    at::Tensor last = model->forward(ids);
    ASSERT_EQ(last.size(1), 1);
    EXPECT_TRUE(at::allclose(last.select(1, 0), full.select(1, ids.size(1) - 1), 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ParityTest, ::testing::Values("gpt2-tiny", "llama-tiny-gqa"));

}  // namespace
}  // namespace attnscope::capture
