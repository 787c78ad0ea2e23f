// Generalized Ships and the Sahara search against final hidden states captured here from one
// plain forward per prompt and head set.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <cmath>

#include "attnscope/analysis/metric.h"
#include "attnscope/analysis/sahara_sweep.h"
#include "attnscope/capture/load_error.h"
#include "safety_fixture.h"

namespace attnscope::analysis {
namespace {

using test::loadParityModel;
using test::randomPrompts;
using test::singleForward;

// The principal angle (degrees) between the top left singular vectors of the [N, D] matrices
// of final states, written here with Eigen's SVD in double.
double angleByHand(capture::TransformerModel& model,
                   const std::vector<std::vector<int64_t>>& prompts, const HeadSet& heads,
                   double eps) {
    const Eigen::Index n = static_cast<Eigen::Index>(prompts.size());
    const Eigen::Index d = model.config().dModel;
    Eigen::MatrixXd base(n, d), ablated(n, d);
    for (Eigen::Index i = 0; i < n; ++i) {
        const at::Tensor b = singleForward(model, prompts[i], {}, MaskTarget::Query, 1).hidden;
        const at::Tensor a = singleForward(model, prompts[i], heads, MaskTarget::Query, eps).hidden;
        for (Eigen::Index j = 0; j < d; ++j) {
            base(i, j) = b[j].item<double>();
            ablated(i, j) = a[j].item<double>();
        }
    }
    const Eigen::VectorXd u =
        Eigen::JacobiSVD<Eigen::MatrixXd>(base, Eigen::ComputeThinU).matrixU().col(0);
    const Eigen::VectorXd ua =
        Eigen::JacobiSVD<Eigen::MatrixXd>(ablated, Eigen::ComputeThinU).matrixU().col(0);
    return std::acos(std::min(1.0, std::abs(u.dot(ua)))) * 180.0 / M_PI;
}

TEST(GShips, EmptySetIsZeroAndHeadSetsMatchSeparateForwards) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto prompts = randomPrompts(*model, 4, 21);
    AblationSpec spec;
    spec.epsilon = 1e-5;
    GShipsOptions options;
    options.batchSize = 3;
    const std::vector<HeadSet> sets = {{}, {{0, 1}}, {{1, 3}}, {{0, 2}, {1, 0}}};
    const auto scores = gshipsOfSets(*model, prompts, sets, spec, options);
    ASSERT_EQ(scores.size(), sets.size());
    // arccos near 1 in double resolves about 1e-6 degrees; the empty set batched with others
    // also differs from the base run by float rounding.
    EXPECT_NEAR(scores[0], 0.0, 1e-4);
    EXPECT_NEAR(gshipsOfSets(*model, prompts, {{}}, spec, options).at(0), 0.0, 1e-5);
    for (std::size_t s = 1; s < sets.size(); ++s) {
        const double expected = angleByHand(*model, prompts, sets[s], 1e-5);
        EXPECT_GT(expected, 0.05);  // the ablation moves the subspace
        EXPECT_NEAR(scores[s], expected, 0.02 + 1e-3 * expected) << "set " << s;
    }
}

TEST(Sahara, MetricSelectsTheGreedyArgmaxAtEveryStep) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto prompts = randomPrompts(*model, 3, 22);
    Dataset data;
    for (const auto& p : prompts)
        data.items.push_back({"", nlohmann::json{{"ids", p}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r =
        runMetric(MetricRegistry::global(), "sahara",
                  {{"search_step", "2"}, {"use_template", "false"}, {"batch_size", "5"}}, ctx);
    ASSERT_EQ(r.details["selected"].size(), 2u);
    ASSERT_EQ(r.details["step_tables"].size(), 2u);
    const HeadId first{r.details["selected"][0]["layer"].get<int>(),
                       r.details["selected"][0]["head"].get<int>()};
    // Step 1: the table is GShips of each single head, and the first head its argmax.
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            const double expected = angleByHand(*model, prompts, {{l, h}}, 1e-5);
            EXPECT_NEAR(r.scores.at(l, h), expected, 0.02 + 1e-3 * expected) << l << "," << h;
            EXPECT_LE(r.scores.at(l, h), r.scores.at(first));
        }
    // Step 2 scores the pair {first, h}; the first head itself is NaN.
    const auto step2 = r.details["step_tables"][1];
    EXPECT_TRUE(
        step2[static_cast<std::size_t>(first.layer * 4 + first.head)].is_null() ||
        std::isnan(step2[static_cast<std::size_t>(first.layer * 4 + first.head)].get<double>()));
    const HeadId other{first.layer == 0 ? 1 : 0, 2};
    const double pair = angleByHand(*model, prompts, {first, other}, 1e-5);
    EXPECT_NEAR(step2[static_cast<std::size_t>(other.layer * 4 + other.head)].get<double>(), pair,
                0.02 + 1e-3 * pair);
    EXPECT_TRUE(r.params["search_step"]["unverified"].get<bool>());
}

TEST(Sahara, BadParametersAreInputErrors) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    Dataset data;
    data.items.push_back({"", nlohmann::json{{"ids", randomPrompts(*model, 1)[0]}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    auto run = [&](std::map<std::string, std::string> p) {
        p["use_template"] = "false";
        return runMetric(MetricRegistry::global(), "sahara", p, ctx);
    };
    EXPECT_THROW(run({{"search_step", "0"}}), capture::InputError);
    EXPECT_THROW(run({{"search_step", "9"}}), capture::InputError);  // 8 heads
    EXPECT_THROW(run({{"rank", "2"}}), capture::InputError);         // one prompt
    EXPECT_THROW(run({{"mask_qkv", "qk"}}), capture::InputError);
    EXPECT_THROW(runMetric(MetricRegistry::global(), "sahara", {}, ctx),  // template, ids
                 capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis
