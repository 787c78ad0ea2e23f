// a2sf and vhd metrics on the random-weight parity fixture, recomputed here with tensor ops.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

const std::vector<int64_t> kExtrasIds = {1, 17, 250, 3, 99, 420, 8, 77, 301, 5, 260, 12};

class Extras : public ::testing::Test {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / "llama-tiny-gqa";
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = capture::loadModel(dir);
    }
    MetricResult run(const std::string& name, const Dataset& data,
                     const std::map<std::string, std::string>& p = {}) {
        const MetricContext ctx{*model, nullptr, data, {}};
        return runMetric(MetricRegistry::global(), name, p, ctx);
    }
    at::Tensor capture(const std::string& hook, const std::vector<int64_t>& ids) {
        at::Tensor out;
        capture::HookScope scope(model->hooks());
        scope.add(hook, [&out](at::Tensor& a, const capture::HookContext&) { out = a[0].clone(); });
        at::NoGradGuard noGrad;
        model->forward(at::tensor(ids, at::kLong).unsqueeze(0));
        return out;
    }
    std::shared_ptr<capture::TransformerModel> model;
};

TEST_F(Extras, A2sfIsTheDecayedGroupScoreConcentration) {
    Dataset data;
    data.items.push_back({"", {{"ids", kExtrasIds}}});
    const MetricResult r = run("a2sf", data, {{"lambda", "0.8"}, {"ratio", "0.25"}});
    ASSERT_EQ(r.scores.heads, 2);  // KV heads
    const int64_t t = static_cast<int64_t>(kExtrasIds.size());
    // Query weights λ^(T-1-q), newest query weight 1.
    at::Tensor w = at::empty({t}, at::kDouble);
    for (int64_t q = 0; q < t; ++q)
        w[q] = std::pow(0.8, static_cast<double>(t - 1 - q));
    for (int l = 0; l < 2; ++l) {
        const at::Tensor p =
            capture("blocks." + std::to_string(l) + ".attn.hook_pattern", kExtrasIds)
                .to(at::kDouble);  // [head, q, k]
        for (int j = 0; j < 2; ++j) {
            // Query heads 2j and 2j+1 share KV head j.
            const at::Tensor group = p[2 * j] + p[2 * j + 1];
            const at::Tensor score = (group * w.unsqueeze(1)).sum(0);                  // [k]
            const int64_t top = std::max<int64_t>(1, static_cast<int64_t>(0.25 * t));  // 3
            const double expected =
                (std::get<0>(score.topk(top)).sum() / score.sum()).item<double>();
            EXPECT_NEAR(r.scores.at(l, j), expected, 1e-5) << "L" << l << " KV" << j;
        }
    }
}

TEST_F(Extras, VhdIsTheL2DistanceOfHeadOutputsWithAndWithoutContext) {
    const std::vector<int64_t> context = {1, 17, 250, 3, 99};
    const std::vector<int64_t> prompt = {420, 8, 77};
    Dataset data;
    data.items.push_back({"", {{"context_ids", context}, {"prompt_ids", prompt}}});
    const MetricResult r = run("vhd", data, {{"top_fraction", "0.25"}});
    std::vector<int64_t> with = context;
    with.insert(with.end(), prompt.begin(), prompt.end());
    std::vector<double> all;
    for (int l = 0; l < 2; ++l) {
        const std::string hook = "blocks." + std::to_string(l) + ".attn.hook_result";
        const at::Tensor a = capture(hook, with)[-1], b = capture(hook, prompt)[-1];  // [H, D]
        const at::Tensor dist = (a - b).to(at::kDouble).norm(2, -1);
        for (int h = 0; h < 4; ++h) {
            EXPECT_NEAR(r.scores.at(l, h), dist[h].item<double>(), 1e-5);
            all.push_back(dist[h].item<double>());
        }
    }
    std::sort(all.rbegin(), all.rend());
    EXPECT_EQ(r.details["k"].get<int>(), 2);  // ceil(0.25 * 8)
    EXPECT_NEAR(r.details["t_vhd"][0].get<double>(), (all[0] + all[1]) / 2, 1e-5);
    // The same prompt with no context diverges nowhere.
    Dataset same;
    same.items.push_back({"", {{"context_ids", std::vector<int64_t>{}}, {"prompt_ids", prompt}}});
    for (double v : run("vhd", same).scores.values)
        EXPECT_EQ(v, 0.0);
}

}  // namespace
}  // namespace attnscope::analysis
