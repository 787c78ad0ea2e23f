// Path patching and direct logit attribution on a hand-built two-layer Llama-architecture
// model whose answers this test computes by hand. Queries and keys are zero, so every head
// attends uniformly to the tokens so far; MLPs are zero. Head 0.0 copies the token identity
// (residual dims 0, 1) into dims 4, 5; head 1.0 reads dims 4, 5 through its value and writes
// them into dims 6, 7; the unembedding reads dims 6 (answer, token 0) and 7 (wrong, token 1).
// Heads 0.1 and 1.1 write nothing.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <optional>

#include "attnscope/analysis/circuits/direct_logit_attribution.h"
#include "attnscope/analysis/circuits/path_patching.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "patching_test_support.h"

namespace attnscope::analysis::circuits {
namespace {

constexpr double kEps = 1e-6;
constexpr int kD = 8;
using Vec = std::array<double, kD>;

std::shared_ptr<capture::TransformerModel> handBuiltModel() {
    const auto config = capture::parseModelConfig(
        R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 4, "hidden_size": 8,
            "intermediate_size": 4, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 2, "max_position_embeddings": 16, "rms_norm_eps": 1e-6,
            "hidden_act": "silu", "tie_word_embeddings": false})",
        "hand-built");
    auto m =
        std::make_shared<capture::TransformerModel>(config, at::TensorOptions().dtype(at::kFloat));
    at::NoGradGuard noGrad;
    for (int t = 0; t < 4; ++t)
        m->embedWeight()[t][t] = 1.0;
    // Value rows start after the q (2·4) and k (2·4) rows; head 0's value dims are rows 16, 17.
    auto& a0 = *m->block(0).attn;
    a0.wQkv[16][0] = 1.0;
    a0.wQkv[17][1] = 1.0;
    a0.wO[4][0] = 1.0;
    a0.wO[5][1] = 1.0;
    auto& a1 = *m->block(1).attn;
    a1.wQkv[16][4] = 1.0;
    a1.wQkv[17][5] = 1.0;
    a1.wO[6][0] = 1.0;
    a1.wO[7][1] = 1.0;
    m->unembedWeight()[0][6] = 1.0;
    m->unembedWeight()[1][7] = 1.0;
    return m;
}

double rms(const Vec& x) {
    double s = 0;
    for (double v : x)
        s += v * v;
    return std::sqrt(s / kD + kEps);
}

Vec embed(int64_t token) {
    Vec e{};
    e[static_cast<size_t>(token)] = 1.0;
    return e;
}

// The model by hand. Overrides replace head 0.0's z or head 1.0's value at the last position.
struct HandRun {
    std::vector<std::array<double, 2>> z00, v10;  // per position
    Vec x1Last{}, o10Last{}, x2Last{};
    double logitDiff = 0;
};

HandRun handForward(const std::vector<int64_t>& tokens,
                    std::optional<std::array<double, 2>> z00Last = {},
                    std::optional<std::array<double, 2>> v10Last = {}) {
    const size_t T = tokens.size();
    HandRun r;
    std::vector<Vec> x1(T);
    std::array<double, 2> sum0{};
    for (size_t t = 0; t < T; ++t) {  // layer 0: uniform attention over the normalised inputs
        const Vec e = embed(tokens[t]);
        for (int j = 0; j < 2; ++j)
            sum0[j] += e[j] / rms(e);
        std::array<double, 2> z{sum0[0] / double(t + 1), sum0[1] / double(t + 1)};
        if (t == T - 1 && z00Last) z = *z00Last;
        r.z00.push_back(z);
        x1[t] = e;
        x1[t][4] += z[0];
        x1[t][5] += z[1];
    }
    std::array<double, 2> sum1{};
    for (size_t t = 0; t < T; ++t) {  // layer 1: values read dims 4, 5
        std::array<double, 2> v{x1[t][4] / rms(x1[t]), x1[t][5] / rms(x1[t])};
        if (t == T - 1 && v10Last) v = *v10Last;
        r.v10.push_back(v);
        sum1[0] += v[0];
        sum1[1] += v[1];
    }
    r.x1Last = x1[T - 1];
    r.o10Last[6] = sum1[0] / double(T);
    r.o10Last[7] = sum1[1] / double(T);
    r.x2Last = r.x1Last;
    r.x2Last[6] += r.o10Last[6];
    r.x2Last[7] += r.o10Last[7];
    r.logitDiff = (r.x2Last[6] - r.x2Last[7]) / rms(r.x2Last);
    return r;
}

const std::vector<int64_t> kClean{0, 2, 0, 0}, kCorrupted{0, 2, 1, 1};

std::vector<PromptPair> pairs() {
    return {PromptPair{kClean, kCorrupted, 0, 1, 0}};
}

TEST(HandBuiltCircuit, ModelMatchesTheHandComputation) {
    auto model = handBuiltModel();
    at::NoGradGuard noGrad;
    for (const auto& tokens : {kClean, kCorrupted}) {
        const at::Tensor logits =
            model->forward(at::tensor(tokens, at::kLong).view({1, 4})).select(1, 0);
        EXPECT_NEAR((logits[0][0] - logits[0][1]).item<double>(), handForward(tokens).logitDiff,
                    1e-5);
    }
    ASSERT_GT(std::abs(handForward(kClean).logitDiff - handForward(kCorrupted).logitDiff), 0.1);
}

TEST(HandBuiltCircuit, PathPatchingThroughTheValueOfTheReader) {
    auto model = handBuiltModel();
    const HandRun clean = handForward(kClean), corrupted = handForward(kCorrupted);
    // Run 1: head 0.0's z at the last position from the corrupted run, the rest clean; the
    // value of head 1.0 there is recorded. Run 2: the clean run with that value.
    const HandRun run1 = handForward(kClean, corrupted.z00.back());
    const HandRun run2 = handForward(kClean, std::nullopt, run1.v10.back());
    const double expected =
        (run2.logitDiff - clean.logitDiff) / (corrupted.logitDiff - clean.logitDiff);
    ASSERT_GT(std::abs(expected), 1e-3);

    PathPatchingOptions options;
    options.receivers = {{PatchSite::V, 1, {0}}};
    const auto result = pathPatching(*model, pairs(), options);
    EXPECT_NEAR(result.clean, clean.logitDiff, 1e-5);
    EXPECT_NEAR(result.corrupted, corrupted.logitDiff, 1e-5);
    EXPECT_NEAR(result.scores[0][0], expected, 1e-4);
    EXPECT_NEAR(result.scores[0][1], 0.0, 1e-6);   // writes nothing
    EXPECT_TRUE(std::isnan(result.scores[1][0]));  // not before the receiver
    EXPECT_TRUE(std::isnan(result.scores[1][1]));

    // The query of head 1.0 reads nothing (zero weights): no sender has an effect through it.
    options.receivers = {{PatchSite::Q, 1, {0}}};
    const auto none = pathPatching(*model, pairs(), options);
    EXPECT_NEAR(none.scores[0][0], 0.0, 1e-6);
    // Into resid_pre of layer 1 at the last position: everything downstream of the sender's
    // write sees it, the final norm's scale included; that is run 1 itself here.
    options.receivers = {{PatchSite::ResidPre, 1, {}}};
    const auto resid = pathPatching(*model, pairs(), options);
    EXPECT_NEAR(resid.scores[0][0],
                (run1.logitDiff - clean.logitDiff) / (corrupted.logitDiff - clean.logitDiff), 1e-4);

    options.receivers = {{PatchSite::MlpOut, 1, {}}};
    EXPECT_THROW(pathPatching(*model, pairs(), options), capture::InputError);
    options.receivers = {{PatchSite::V, 1, {2}}};
    EXPECT_THROW(pathPatching(*model, pairs(), options), capture::InputError);
    options.receivers = {};
    EXPECT_THROW(pathPatching(*model, pairs(), options), capture::InputError);
}

TEST(HandBuiltCircuit, DirectLogitAttributionOfEachHead) {
    auto model = handBuiltModel();
    const HandRun clean = handForward(kClean);
    const double sigma = rms(clean.x2Last);
    const auto dla = directLogitAttribution(*model, pairs());
    EXPECT_NEAR(dla.logitDiff, clean.logitDiff, 1e-5);
    // Only head 1.0 writes into the unembedding's dims 6 and 7.
    EXPECT_NEAR(dla.heads[1][0], (clean.o10Last[6] - clean.o10Last[7]) / sigma, 1e-5);
    EXPECT_NEAR(dla.heads[1][0], clean.logitDiff, 1e-5);
    for (auto [l, h] : {std::pair{0, 0}, {0, 1}, {1, 1}})
        EXPECT_NEAR(dla.heads[l][h], 0.0, 1e-6);
    EXPECT_NEAR(dla.embeddings, 0.0, 1e-6);
    EXPECT_NEAR(dla.attention[1], dla.heads[1][0], 1e-6);
    EXPECT_NEAR(dla.mlps[0] + dla.mlps[1], 0.0, 1e-6);
    EXPECT_EQ(dla.finalNormBias, 0.0);
}

// On real checkpoints the parts add up to the model's own logit difference (LayerNorm with its
// centring and bias on GPT-2, RMSNorm on Llama-GQA and Qwen2 shapes).
TEST(DirectLogitAttribution, PartsAddUpToTheLogitDifference) {
    for (const std::string name : {"gpt2-tiny", "llama-tiny-gqa", "qwen2-shaped"}) {
        SCOPED_TRACE(name);
        auto model = name == "qwen2-shaped" ? test::qwen2ShapedModel(2) : test::parityModel(name);
        if (!model) GTEST_SKIP() << "shared parity fixture missing: " << name;
        const int64_t vocab = model->config().vocabSize;
        const std::vector<PromptPair> pairs{test::randomPair(vocab, 7, 1, 1),
                                            test::randomPair(vocab, 7, 2, 2),
                                            test::randomPair(vocab, 5, 1, 3)};
        const auto dla = directLogitAttribution(*model, pairs);
        double sum = dla.embeddings + dla.finalNormBias;
        for (size_t l = 0; l < dla.attention.size(); ++l) {
            sum += dla.attention[l] + dla.mlps[l];
            double heads = 0;
            for (double h : dla.heads[l])
                heads += h;
            if (!model->block(static_cast<int64_t>(l)).attn->bO.defined()) {
                EXPECT_NEAR(heads, dla.attention[l], 1e-4 * std::max(1.0, std::abs(heads)));
            }
        }
        // The logit difference from the model's own forward, averaged here.
        at::NoGradGuard noGrad;
        double expected = 0;
        for (const auto& p : pairs) {
            const at::Tensor logits =
                model->forward(at::tensor(p.clean, at::kLong).view({1, -1})).select(1, 0);
            expected += (logits[0][p.answer] - logits[0][p.wrong]).item<double>() / 3.0;
        }
        EXPECT_NEAR(dla.logitDiff, expected, 1e-4 * std::max(1.0, std::abs(expected)));
        EXPECT_NEAR(sum, expected, 1e-3 * std::max(1.0, std::abs(expected)));
        if (name == "gpt2-tiny") {
            EXPECT_NE(dla.finalNormBias, 0.0);
        }
    }
}

}  // namespace
}  // namespace attnscope::analysis::circuits
