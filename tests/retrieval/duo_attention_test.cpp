// DuoAttention gate mix and training, and the streaming proxy, on the random-weight fixture.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attnscope/analysis/duo_attention.h"
#include "attnscope/analysis/duo_attention_training.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/interventions.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

const std::vector<int64_t> kDuoIds = {1, 17, 250, 3, 99, 420, 8, 77, 301, 5, 260, 12, 44, 45};

class DuoFixture : public ::testing::Test {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / "llama-tiny-gqa";
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = capture::loadModel(dir);
    }
    // Final hidden states [T, D] with `edits` applied.
    at::Tensor hidden(const std::vector<capture::Intervention>& edits = {}) {
        at::Tensor out;
        capture::HookScope scope(model->hooks());
        capture::applyInterventions(scope, *model, edits);
        scope.add("ln_final.hook_normalized",
                  [&out](at::Tensor& a, const capture::HookContext&) { out = a[0].clone(); });
        at::NoGradGuard noGrad;
        model->forward(at::tensor(kDuoIds, at::kLong).unsqueeze(0));
        return out;
    }
    static at::Tensor toTensor(const Eigen::MatrixXf& m) {
        at::Tensor t = at::empty({m.rows(), m.cols()}, at::kFloat);
        for (int64_t r = 0; r < m.rows(); ++r)
            for (int64_t c = 0; c < m.cols(); ++c)
                t[r][c] = m(r, c);
        return t;
    }
    std::shared_ptr<capture::TransformerModel> model;
};

TEST_F(DuoFixture, GateOneIsTheFullModelAndGateZeroTheStreamingModel) {
    const at::Tensor full = hidden();
    const at::Tensor one =
        toTensor(duoMixedFinalHidden(*model, kDuoIds, HeadTable(2, 2, 1.0), 2, 3));
    EXPECT_TRUE(at::allclose(one, full, 0, 1e-6));
    std::vector<capture::Intervention> streaming;
    for (int64_t l = 0; l < 2; ++l)
        streaming.emplace_back(capture::StreamingRestriction{l, {0, 1, 2, 3}, 2, 3, -1});
    const at::Tensor stream = hidden(streaming);
    const at::Tensor zero =
        toTensor(duoMixedFinalHidden(*model, kDuoIds, HeadTable(2, 2, 0.0), 2, 3));
    EXPECT_TRUE(at::allclose(zero, stream, 1e-5, 1e-5)) << (zero - stream).abs().max();
    EXPECT_GT((stream - full).abs().max().item<double>(), 1e-3);  // the restriction matters
    // Gates outside [0, 1] are clamped.
    const at::Tensor clamped =
        toTensor(duoMixedFinalHidden(*model, kDuoIds, HeadTable(2, 2, -3.0), 2, 3));
    EXPECT_TRUE(at::allclose(clamped, zero, 0, 1e-6));
}

TEST_F(DuoFixture, FirstStepMovesEveryGateByTheAdamStepOfTheL1Gradient) {
    DuoTrainOptions o;
    o.steps = 1;
    o.sink = 2;
    o.recent = 3;
    const DuoTrainResult r = trainDuoGates(*model, {{kDuoIds, 8}}, o);
    ASSERT_EQ(r.loss.size(), 1u);
    // At α = 1 the mix is the full model: no distillation loss and no distillation gradient.
    EXPECT_NEAR(r.distill[0], 0.0, 1e-12);
    EXPECT_NEAR(r.loss[0], o.regWeight * 1.0, 1e-7);
    // d(λ mean|α|)/dα = λ / (L H_kv); Adam's first step is lr·g/(|g| + eps); multiplier(0, 1) = 1.
    const double g = o.regWeight / 4.0;
    const double expected = 1.0 - o.lr * duoLrMultiplier(0, 1) * g / (g + 1e-8);
    for (double v : r.gates.values)
        EXPECT_NEAR(v, expected, 1e-6);
}

TEST_F(DuoFixture, MetricTrainsKvHeadGatesAndSplitsThemBySparsity) {
    Dataset data;
    data.items.push_back({"", {{"ids", kDuoIds}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r =
        runMetric(MetricRegistry::global(), "duo_attention",
                  {{"steps", "6"}, {"sink", "2"}, {"recent", "3"}, {"sparsity", "0.5"}}, ctx);
    ASSERT_EQ(r.scores.layers, 2);
    ASSERT_EQ(r.scores.heads, 2);  // KV heads
    EXPECT_EQ(r.details["loss"].size(), 6u);
    EXPECT_EQ(r.details["sequences"][0], "synthetic_passkey");
    int retrieval = 0;
    for (double v : r.details["is_retrieval"].get<std::vector<double>>())
        retrieval += v == 1.0;
    EXPECT_EQ(retrieval, 2);  // half of the 4 gates stream at sparsity 0.5
    for (double v : r.scores.values) {
        EXPECT_GE(v, 0.0);
        EXPECT_LE(v, 1.0);
    }
}

TEST_F(DuoFixture, StreamingProxyIsTheKlOfTheRestrictedHead) {
    Dataset data;
    data.items.push_back({"", {{"ids", kDuoIds}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r = runMetric(MetricRegistry::global(), "streaming_proxy",
                                     {{"sink", "1"}, {"recent", "4"}}, ctx);
    at::NoGradGuard noGrad;
    const at::Tensor row = at::tensor(kDuoIds, at::kLong).unsqueeze(0);
    const at::Tensor p = at::softmax(model->forward(row)[0][-1].to(at::kDouble), -1);
    for (int64_t l = 0; l < 2; ++l)
        for (int64_t h = 0; h < 4; ++h) {
            capture::HookScope scope(model->hooks());
            capture::applyInterventions(scope, *model,
                                        {capture::StreamingRestriction{l, {h}, 1, 4, -1}});
            const at::Tensor q = at::softmax(model->forward(row)[0][-1].to(at::kDouble), -1);
            const double kl = (p * (p.log() - q.log())).sum().item<double>();
            EXPECT_NEAR(r.scores.at(static_cast<int>(l), static_cast<int>(h)), kl,
                        1e-6 + 1e-4 * kl);
        }
    // A window covering the whole prompt changes nothing.
    const MetricResult wide = runMetric(MetricRegistry::global(), "streaming_proxy",
                                        {{"sink", "0"}, {"recent", "64"}}, ctx);
    for (double v : wide.scores.values)
        EXPECT_NEAR(v, 0.0, 1e-9);
}

}  // namespace
}  // namespace attnscope::analysis
