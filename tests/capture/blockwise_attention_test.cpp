// The tiled long-context attention (query × key tiles, online softmax) against the full T×T
// path: z, the row log-sum-exp and the row statistics, on prompts that span several tiles and
// continue a KV cache, for learned positions (GPT-2), grouped-query RoPE (Llama) and a sliding
// window (Mistral). Long-context captures rebuild pattern tiles from q, k and this LSE, so the
// LSE has to match the full softmax's to float precision.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "attnscope/capture/attention_statistics.h"
#include "attnscope/capture/capture_spec.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/model_config.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::capture {
namespace {

struct TiledCase {
    const char* name;
    const char* configJson;
};

// Small widths, but prompts longer than the kernel's 256-row and 512-key tiles (690 keys with the
// cached prefix). The Mistral window (200) ends inside tiles, so both mask edges fall mid-tile.
const TiledCase kTiledCases[] = {
    {"gpt2", R"({"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":101,
        "n_positions":1024,"n_embd":64,"n_layer":2,"n_head":4})"},
    {"llama_gqa", R"({"architectures":["LlamaForCausalLM"],"vocab_size":101,"hidden_size":64,
        "intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":8,
        "num_key_value_heads":2,"max_position_embeddings":1024})"},
    {"mistral_window", R"({"architectures":["MistralForCausalLM"],"vocab_size":101,
        "hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,
        "num_key_value_heads":2,"max_position_embeddings":1024,"sliding_window":200})"},
};

void PrintTo(const TiledCase& c, std::ostream* os) {
    *os << c.name;
}

struct TiledRunResult {
    at::Tensor logits;
    ActivationCache cache;
    AttentionStatistics stats;
};

class TiledAttentionTest : public ::testing::TestWithParam<TiledCase> {
protected:
    void SetUp() override {
        at::manual_seed(17);
        model = std::make_shared<TransformerModel>(parseModelConfig(GetParam().configJson, "test"),
                                                   at::TensorOptions().dtype(at::kFloat));
        // Wide weights give peaked rows, so the running maximum moves between key tiles.
        at::NoGradGuard noGrad;
        for (auto& p : model->parameters())
            p.normal_(0.0, 0.25);
        prefix = at::randint(0, 101, {1, 90}, at::TensorOptions().dtype(at::kLong));
        ids = at::randint(0, 101, {1, 600}, at::TensorOptions().dtype(at::kLong));
    }

    using Result = TiledRunResult;

    // Runs `prefix` into a KV cache, then `ids` after it: through the tiled kernel, or with
    // `plain` through tensor operations that form the full scores. `captured` hooks are cached;
    // `edit`, when given, runs on every layer's pattern before the capture sees it.
    Result run(bool plain,
               std::vector<std::string> captured = {"blocks.*.attn.hook_pattern_lse",
                                                    "blocks.*.attn.hook_z"},
               const HookFn& edit = nullptr) {
        Result r;
        r.stats.keyPositions = {0, 7, 300};
        KvCache kv(model->config().nLayers);
        ForwardOptions first;
        first.cache = &kv;
        model->forward(prefix, first);
        ForwardOptions o;
        o.cache = &kv;
        o.allLogits = true;
        o.plainAttention = plain;
        o.scoreBudgetBytes = plain ? int64_t{1} << 40 : 1;
        o.statistics = &r.stats;
        CaptureSpec spec;
        spec.hooks = std::move(captured);
        HookScope scope(model->hooks());
        if (edit) scope.addMatching("blocks.*.attn.hook_pattern", edit);
        attachCapture(scope, model->hooks(), spec, r.cache);
        r.logits = model->forward(ids, o);
        return r;
    }

    std::shared_ptr<TransformerModel> model;
    at::Tensor prefix, ids;
};

double maxAbs(const at::Tensor& x) {
    return x.abs().max().item<double>();
}

// Results of the tiled and plain runs: every cached activation, the logits and the statistics.
void expectSameResults(const TiledRunResult& full, const TiledRunResult& tiled, int64_t layers) {
    ASSERT_EQ(full.cache.names(), tiled.cache.names());
    for (const auto& name : full.cache.names()) {
        const at::Tensor x = full.cache.get(name), y = tiled.cache.get(name);
        ASSERT_EQ(x.sizes(), y.sizes()) << name;
        EXPECT_LE(maxAbs(x - y), 1e-5 * (1 + maxAbs(x))) << name;
    }
    EXPECT_LE(maxAbs(full.logits - tiled.logits), 1e-4 * maxAbs(full.logits));
    for (int64_t l = 0; l < layers; ++l) {
        const auto i = static_cast<std::size_t>(l);
        EXPECT_TRUE(at::allclose(tiled.stats.massOnKeys[i], full.stats.massOnKeys[i], 1e-5, 1e-6))
            << l;
        EXPECT_TRUE(at::allclose(tiled.stats.rowEntropy[i], full.stats.rowEntropy[i], 1e-4, 1e-5))
            << l;
        EXPECT_TRUE(at::equal(tiled.stats.rowArgmax[i], full.stats.rowArgmax[i])) << l;
    }
}

TEST_P(TiledAttentionTest, EqualsFullAttentionAcrossTilesAfterACachedPrefix) {
    expectSameResults(run(true), run(false), model->config().nLayers);
}

TEST_P(TiledAttentionTest, PatternsWrittenByTheKernelEqualThePlainSoftmax) {
    const std::vector<std::string> hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z"};
    const Result full = run(true, hooks), tiled = run(false, hooks);
    expectSameResults(full, tiled, model->config().nLayers);
    // Rows sum to 1 over the keys a query sees (690: the cached prefix and the prompt) and are
    // exactly 0 past the query's own position.
    const at::Tensor p = tiled.cache.get("blocks.1.attn.hook_pattern")[0];  // [head, query, key]
    ASSERT_EQ(p.size(2), prefix.size(1) + ids.size(1));
    EXPECT_LE(maxAbs(p.sum(-1) - 1), 1e-5);
    const at::Tensor pos = at::arange(ids.size(1)).unsqueeze(1) + prefix.size(1);
    const at::Tensor future = at::arange(p.size(2)).unsqueeze(0) > pos;
    EXPECT_EQ(p.masked_select(future.expand_as(p)).abs().max().item<float>(), 0.0f);
}

TEST_P(TiledAttentionTest, PatternEditsChangeTheOutputAsOnThePlainPath) {
    // One edit in place (head 0 looks only at the first key) and one that replaces the tensor
    // (every row sharpened: squared and renormalised): z, the logits and the statistics follow
    // the edit on both paths.
    const HookFn inPlace = [](at::Tensor& p, const HookContext&) {
        at::Tensor head = p.select(1, 0);
        head.zero_();
        head.select(-1, 0).fill_(1.0f);
    };
    const HookFn replacing = [](at::Tensor& p, const HookContext&) {
        const at::Tensor squared = p * p;
        p = squared / squared.sum(-1, true);
    };
    const std::vector<std::string> hooks = {"blocks.*.attn.hook_pattern", "blocks.*.attn.hook_z"};
    const Result unedited = run(false, hooks);
    for (const HookFn& edit : {inPlace, replacing}) {
        const Result full = run(true, hooks, edit), tiled = run(false, hooks, edit);
        expectSameResults(full, tiled, model->config().nLayers);
        EXPECT_GT(maxAbs(tiled.logits - unedited.logits), 1e-2 * maxAbs(unedited.logits));
    }
}

TEST_P(TiledAttentionTest, TheLseNormalisesEveryRowItDescribes) {
    // exp(s - lse) summed over the visible keys is 1: what a tile rebuilt from q, k and the LSE
    // relies on. Checked here on the last layer's scores recomputed from hook_rot_q/hook_rot_k.
    ActivationCache cache;
    CaptureSpec spec;
    const int64_t last = model->config().nLayers - 1;
    const std::string layer = "blocks." + std::to_string(last) + ".attn.";
    spec.hooks = {layer + "hook_rot_q", layer + "hook_rot_k", layer + "hook_pattern_lse"};
    ForwardOptions o;
    o.scoreBudgetBytes = 1;
    {
        HookScope scope(model->hooks());
        attachCapture(scope, model->hooks(), spec, cache);
        model->forward(ids, o);
    }
    const auto& c = model->config();
    const int64_t g = c.nHeads / c.nKvHeads, t = ids.size(1);
    const at::Tensor q = cache.get(layer + "hook_rot_q")[0].transpose(0, 1);  // [head, pos, d]
    const at::Tensor k = cache.get(layer + "hook_rot_k")[0].transpose(0, 1).repeat_interleave(g, 0);
    const at::Tensor lse = cache.get(layer + "hook_pattern_lse")[0];  // [head, pos]
    at::Tensor s = at::matmul(q, k.transpose(1, 2)) * c.attentionScale(last);
    const at::Tensor pos = at::arange(t);
    at::Tensor hidden = pos.unsqueeze(0) > pos.unsqueeze(1);
    if (c.usesSlidingWindow(last))
        hidden = hidden.logical_or(pos.unsqueeze(0) <= pos.unsqueeze(1) - *c.slidingWindow);
    s = s.masked_fill(hidden, -std::numeric_limits<float>::infinity());
    const at::Tensor rowSums = (s - lse.unsqueeze(-1)).exp().sum(-1);
    EXPECT_LE(maxAbs(rowSums - 1), 1e-5);
}

TEST_P(TiledAttentionTest, BFloat16StaysCloseToTheFullPath) {
    // Scores are float32 in both paths; the full path multiplies q·k in bf16 first, so the two
    // agree to bf16 precision, not float.
    auto low = std::make_shared<TransformerModel>(parseModelConfig(GetParam().configJson, "test"),
                                                  at::TensorOptions().dtype(at::kBFloat16));
    {
        at::NoGradGuard noGrad;
        const auto from = model->parameters(), to = low->parameters();
        ASSERT_EQ(from.size(), to.size());
        for (std::size_t i = 0; i < from.size(); ++i)
            to[i].copy_(from[i]);
    }
    model = low;
    const Result full = run(true), tiled = run(false);
    for (const auto& name : full.cache.names()) {
        const at::Tensor x = full.cache.get(name).to(at::kFloat),
                         y = tiled.cache.get(name).to(at::kFloat);
        EXPECT_LE(maxAbs(x - y), 5e-2 * (1 + maxAbs(x))) << name;
    }
}

INSTANTIATE_TEST_SUITE_P(Configs, TiledAttentionTest, ::testing::ValuesIn(kTiledCases),
                         [](const ::testing::TestParamInfo<TiledCase>& info) {
                             return std::string(info.param.name);
                         });

}  // namespace
}  // namespace attnscope::capture
