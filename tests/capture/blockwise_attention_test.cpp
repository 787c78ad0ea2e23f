// The tiled long-context attention (query × key tiles, online softmax) against the full T×T
// path: z, the row log-sum-exp and the row statistics, on prompts that span several tiles and
// continue a KV cache, for learned positions (GPT-2), grouped-query RoPE (Llama) and a sliding
// window (Mistral). Long-context captures rebuild pattern tiles from q, k and this LSE, so the
// LSE has to match the full softmax's to float precision.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <limits>
#include <ostream>

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

    struct Result {
        at::Tensor logits;
        ActivationCache cache;
        AttentionStatistics stats;
    };

    // Runs `prefix` into a KV cache (full path), then `ids` after it with `budget`.
    Result run(int64_t budget) {
        Result r;
        r.stats.keyPositions = {0, 7, 300};
        KvCache kv(model->config().nLayers);
        ForwardOptions first;
        first.cache = &kv;
        model->forward(prefix, first);
        ForwardOptions o;
        o.cache = &kv;
        o.allLogits = true;
        o.scoreBudgetBytes = budget;
        o.statistics = &r.stats;
        CaptureSpec spec;
        spec.hooks = {"blocks.*.attn.hook_pattern_lse", "blocks.*.attn.hook_z"};
        HookScope scope(model->hooks());
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

TEST_P(TiledAttentionTest, EqualsFullAttentionAcrossTilesAfterACachedPrefix) {
    const Result full = run(int64_t{1} << 40), tiled = run(1);
    ASSERT_EQ(full.cache.names(), tiled.cache.names());
    for (const auto& name : full.cache.names()) {
        const at::Tensor x = full.cache.get(name), y = tiled.cache.get(name);
        ASSERT_EQ(x.sizes(), y.sizes()) << name;
        EXPECT_LE(maxAbs(x - y), 1e-5 * (1 + maxAbs(x))) << name;
    }
    EXPECT_LE(maxAbs(full.logits - tiled.logits), 1e-4 * maxAbs(full.logits));
    for (int64_t l = 0; l < model->config().nLayers; ++l) {
        const auto i = static_cast<std::size_t>(l);
        EXPECT_TRUE(at::allclose(tiled.stats.massOnKeys[i], full.stats.massOnKeys[i], 1e-5, 1e-6))
            << l;
        EXPECT_TRUE(at::allclose(tiled.stats.rowEntropy[i], full.stats.rowEntropy[i], 1e-4, 1e-5))
            << l;
        EXPECT_TRUE(at::equal(tiled.stats.rowArgmax[i], full.stats.rowArgmax[i])) << l;
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
    const Result full = run(int64_t{1} << 40), tiled = run(1);
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
