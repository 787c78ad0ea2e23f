// Ships through the registry against KL(p || p') computed here from two separate forwards.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/load_error.h"
#include "safety_fixture.h"

namespace attnscope::analysis {
namespace {

using test::loadParityModel;
using test::randomPrompts;
using test::singleForward;

// KL with SH's 1e-12 on both sides, softmax and sum in double.
double klByHand(const at::Tensor& base, const at::Tensor& ablated) {
    const at::Tensor p = at::softmax(base.to(at::kDouble), 0);
    const at::Tensor q = at::softmax(ablated.to(at::kDouble), 0);
    double kl = 0;
    for (int64_t v = 0; v < p.numel(); ++v) {
        const double a = p[v].item<double>() + 1e-12, b = q[v].item<double>() + 1e-12;
        kl += a * std::log(a / b);
    }
    return kl;
}

Dataset idsDataset(const std::vector<std::vector<int64_t>>& prompts) {
    Dataset d;
    d.description = "random prompts";
    for (const auto& p : prompts)
        d.items.push_back({"", nlohmann::json{{"ids", p}}});
    return d;
}

TEST(Ships, HeadScoreIsTheMeanKlOfTwoSeparateForwards) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto prompts = randomPrompts(*model, 2, 11);
    const Dataset data = idsDataset(prompts);
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r =
        runMetric(MetricRegistry::global(), "ships", {{"batch_size", "3"}, {"top_k", "3"}}, ctx);
    ASSERT_EQ(r.scores.layers, 2);
    ASSERT_EQ(r.scores.heads, 4);
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            double expected = 0;
            for (const auto& ids : prompts)
                expected +=
                    klByHand(singleForward(*model, ids, {}, MaskTarget::Query, 1).logits,
                             singleForward(*model, ids, {{l, h}}, MaskTarget::Query, 1e-4).logits) /
                    double(prompts.size());
            EXPECT_GT(expected, 1e-8);  // the ablation matters, so the comparison can fail
            EXPECT_NEAR(r.scores.at(l, h), expected, 1e-7 + 1e-4 * expected) << l << "," << h;
        }
    // Per-item top heads, sorted by decreasing Ships.
    ASSERT_EQ(r.details["per_item"].size(), 2u);
    const auto& top = r.details["per_item"][0]["top_heads"];
    ASSERT_EQ(top.size(), 3u);
    EXPECT_GE(top[0]["value"].get<double>(), top[1]["value"].get<double>());
    EXPECT_GE(top[1]["value"].get<double>(), top[2]["value"].get<double>());
    EXPECT_DOUBLE_EQ(r.params["epsilon"]["value"].get<double>(), 1e-4);
}

TEST(Ships, KeyAblationGivesAKvHeadTable) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto prompts = randomPrompts(*model, 1, 12);
    const Dataset data = idsDataset(prompts);
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r =
        runMetric(MetricRegistry::global(), "ships", {{"mask_qkv", "k"}, {"epsilon", "0"}}, ctx);
    ASSERT_EQ(r.scores.heads, 2);
    const double expected =
        klByHand(singleForward(*model, prompts[0], {}, MaskTarget::Key, 1).logits,
                 singleForward(*model, prompts[0], {{1, 1}}, MaskTarget::Key, 0).logits);
    EXPECT_NEAR(r.scores.at(1, 1), expected, 1e-7 + 1e-4 * expected);
    EXPECT_EQ(r.details["table_heads"], "kv_head");
}

TEST(Ships, BadParametersAreInputErrors) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const Dataset data = idsDataset(randomPrompts(*model, 1));
    const MetricContext ctx{*model, nullptr, data, {}};
    auto run = [&](const std::map<std::string, std::string>& p) {
        return runMetric(MetricRegistry::global(), "ships", p, ctx);
    };
    EXPECT_THROW(run({{"mask_qkv", "o"}}), capture::InputError);
    EXPECT_THROW(run({{"mask_type", "zero"}}), capture::InputError);
    EXPECT_THROW(run({{"batch_size", "0"}}), capture::InputError);
    EXPECT_THROW(run({{"top_k", "-1"}}), capture::InputError);
    EXPECT_THROW(run({{"epsilon", "abc"}}), capture::InputError);
    EXPECT_THROW(run({{"use_template", "true"}}), capture::InputError);  // ids items
    const Dataset empty;
    const MetricContext none{*model, nullptr, empty, {}};
    EXPECT_THROW(runMetric(MetricRegistry::global(), "ships", {}, none), capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis
