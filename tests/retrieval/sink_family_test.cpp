// Sink-family metrics (dormant, value_drain, residual_peak, active_dormant_flip) on the
// random-weight parity fixture, against values recomputed here from plain forwards.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

const std::vector<int64_t> kSinkIds = {1, 17, 250, 3, 99, 420, 8, 77, 301, 5, 260, 12};

class SinkFamily : public ::testing::Test {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / "llama-tiny-gqa";
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = capture::loadModel(dir);
        data.items.push_back({"", {{"ids", kSinkIds}, {"triggers", {4, 9}}}});
    }
    MetricResult run(const std::string& name, const std::map<std::string, std::string>& p = {}) {
        const MetricContext ctx{*model, nullptr, data, {}};
        return runMetric(MetricRegistry::global(), name, p, ctx);
    }
    // Activation of `hook` on a plain forward of kSinkIds, batch dimension dropped.
    at::Tensor capture(const std::string& hook) {
        at::Tensor out;
        capture::HookScope scope(model->hooks());
        scope.add(hook, [&out](at::Tensor& a, const capture::HookContext&) { out = a[0].clone(); });
        at::NoGradGuard noGrad;
        model->forward(row());
        return out;
    }
    at::Tensor row() const { return at::tensor(kSinkIds, at::kLong).unsqueeze(0); }
    // Mean next-token CE of kSinkIds, written out directly.
    double ce(const at::Tensor& logits) const {
        double sum = 0;
        for (std::size_t t = 0; t + 1 < kSinkIds.size(); ++t) {
            const at::Tensor l = logits[0][static_cast<int64_t>(t)].to(at::kDouble);
            sum += (l.exp().sum().log() - l[kSinkIds[t + 1]]).item<double>();
        }
        return sum / static_cast<double>(kSinkIds.size() - 1);
    }

    std::shared_ptr<capture::TransformerModel> model;
    Dataset data;
};

TEST_F(SinkFamily, DormantCombinesBosMassAndZeroAblationLoss) {
    // A BOS threshold between two heads' masses, so both verdicts occur.
    std::vector<double> mass;
    for (int l = 0; l < 2; ++l) {
        const at::Tensor p = capture("blocks." + std::to_string(l) + ".attn.hook_pattern");
        for (int h = 0; h < 4; ++h)
            mass.push_back(p[h].select(1, 0).mean().item<double>());
    }
    std::vector<double> sorted = mass;
    std::sort(sorted.begin(), sorted.end());
    const double threshold = (sorted[3] + sorted[4]) / 2;
    const MetricResult r =
        run("dormant", {{"bos_threshold", std::to_string(threshold)}, {"delta", "1000"}});
    EXPECT_TRUE(r.params["bos_threshold"]["unverified"].get<bool>());
    capture::ForwardOptions all;
    all.allLogits = true;
    at::NoGradGuard noGrad;
    const double base = ce(model->forward(row(), all));
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            const std::size_t k = static_cast<std::size_t>(l * 4 + h);
            EXPECT_NEAR(r.details["bos_mass"][k].get<double>(), mass[k], 1e-6);
            capture::HookScope scope(model->hooks());
            scope.add("blocks." + std::to_string(l) + ".attn.hook_z",
                      [h](at::Tensor& z, const capture::HookContext&) {
                          at::Tensor c = z.clone();
                          c.select(2, h).zero_();
                          z = c;
                      });
            const double ablated = ce(model->forward(row(), all));
            EXPECT_NEAR(r.details["delta_ce"][k].get<double>(), ablated - base, 1e-5)
                << "L" << l << "H" << h;
            EXPECT_EQ(r.scores.values[k], mass[k] >= threshold ? 1.0 : 0.0);
        }
    // A delta below every |ΔCE| makes no head loss-neutral, hence none dormant.
    double smallest = 1e9;
    for (double d : r.details["delta_ce"].get<std::vector<double>>())
        smallest = std::min(smallest, std::abs(d));
    const MetricResult strict =
        run("dormant", {{"bos_threshold", "0"}, {"delta", std::to_string(smallest / 2)}});
    for (double v : strict.scores.values)
        EXPECT_EQ(v, 0.0);
}

TEST_F(SinkFamily, ValueDrainComparesTheBosValueNormWithTheOthers) {
    const MetricResult r = run("value_drain");
    const int64_t d = model->config().headDim;
    for (int l = 0; l < 2; ++l) {
        const at::Tensor v = capture("blocks." + std::to_string(l) + ".attn.hook_v");  // [T,kv,d]
        const at::Tensor wO = model->block(l).attn->wO;
        for (int h = 0; h < 4; ++h) {
            // o_t = W_O[:, h d:(h+1) d] v_t, with kv(h) = h / 2 (4 heads, 2 KV heads).
            const at::Tensor o = at::matmul(v.select(1, h / 2), wO.narrow(1, h * d, d).t());
            const at::Tensor norms = o.norm(2, -1).to(at::kDouble);
            const double bos = norms[0].item<double>();
            const double lo = norms.narrow(0, 1, norms.size(0) - 1).min().item<double>();
            const double hi = norms.narrow(0, 1, norms.size(0) - 1).max().item<double>();
            const std::size_t k = static_cast<std::size_t>(l * 4 + h);
            EXPECT_NEAR(r.details["sink_norm"][k].get<double>(), bos, 1e-5 * (1 + bos));
            EXPECT_NEAR(r.details["non_sink_min"][k].get<double>(), lo, 1e-5 * (1 + lo));
            EXPECT_NEAR(r.details["non_sink_max"][k].get<double>(), hi, 1e-5 * (1 + hi));
            EXPECT_NEAR(r.scores.values[k], bos / lo, 1e-4 * (1 + bos / lo));
        }
    }
}

TEST_F(SinkFamily, ResidualPeakIsTheBosNormOverTheLargestOther) {
    const MetricResult r = run("residual_peak");
    ASSERT_EQ(r.scores.layers, 2);
    ASSERT_EQ(r.scores.heads, 1);
    for (int l = 0; l < 2; ++l) {
        const at::Tensor x = capture("blocks." + std::to_string(l) + ".hook_resid_post");
        const at::Tensor norms = x.to(at::kDouble).norm(2, -1);
        const double bos = norms[0].item<double>();
        const double other = norms.narrow(0, 1, norms.size(0) - 1).max().item<double>();
        EXPECT_NEAR(r.details["bos_norm"][l].get<double>(), bos, 1e-5 * (1 + bos));
        EXPECT_NEAR(r.details["max_other_norm"][l].get<double>(), other, 1e-5 * (1 + other));
        EXPECT_NEAR(r.scores.at(l, 0), bos / other, 1e-5);
    }
}

TEST_F(SinkFamily, FlipsCompareBosMassAtOrdinaryAndTriggerQueries) {
    const MetricResult r = run("active_dormant_flip", {{"flip_high", "0"}, {"flip_low", "2"}});
    EXPECT_EQ(r.details["trigger_queries"].get<double>(), 2.0);
    EXPECT_EQ(r.details["ordinary_queries"].get<double>(),
              static_cast<double>(kSinkIds.size() - 3));
    for (int l = 0; l < 2; ++l) {
        const at::Tensor p = capture("blocks." + std::to_string(l) + ".attn.hook_pattern");
        for (int h = 0; h < 4; ++h) {
            const at::Tensor bos = p[h].select(1, 0).to(at::kDouble);  // [query]
            const double trig = (bos[4] + bos[9]).item<double>() / 2;
            const double ord =
                (bos.narrow(0, 1, bos.size(0) - 1).sum() - bos[4] - bos[9]).item<double>() /
                static_cast<double>(kSinkIds.size() - 3);
            const std::size_t k = static_cast<std::size_t>(l * 4 + h);
            EXPECT_NEAR(r.details["bos_mass_trigger"][k].get<double>(), trig, 1e-6);
            EXPECT_NEAR(r.details["bos_mass_ordinary"][k].get<double>(), ord, 1e-6);
            EXPECT_NEAR(r.scores.values[k], ord - trig, 1e-6);
        }
    }
    // With the thresholds wide open every head flips.
    EXPECT_EQ(r.details["flipped_heads"].size(), 8u);
}

}  // namespace
}  // namespace attnscope::analysis
