// Every registered metric ends a cancel the same way: runMetric throws capture::Cancelled and
// publishes no result, partial or otherwise. Each metric runs on the demo model (0.5 M
// parameters) over a dataset it accepts, once to the end (which must succeed and report
// progress) and once cancelled from its first progress report, which must stop it before it
// has reported as often as the full run did.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iostream>

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

std::filesystem::path demoDir() {
    return test::sourceDir() / "resources" / "models" / "demo";
}

// The first `count` lines of one of the demo model's evaluation files.
Dataset evalItems(const std::string& file, std::size_t count) {
    std::ifstream in(demoDir() / "eval" / file);
    std::vector<std::string> lines;
    for (std::string line; lines.size() < count && std::getline(in, line);)
        lines.push_back(line);
    return datasetFromJsonLines(lines, file);
}

// Two items of the kind each metric reads, and parameters that keep it small on the demo.
struct MetricCase {
    Dataset data;
    std::map<std::string, std::string> params;
};

MetricCase caseFor(const std::string& metric) {
    if (metric == "retrieval_score") return {evalItems("needle.jsonl", 2), {}};
    if (metric == "retrieval_masking")
        return {evalItems("needle.jsonl", 2), {{"top_k", "2"}, {"exclude_top", "2"}}};
    if (metric == "ships" || metric == "sahara") return {evalItems("refusal.jsonl", 4), {}};
    if (metric == "ablation_asr") return {evalItems("refusal.jsonl", 4), {{"max_new_tokens", "4"}}};
    if (metric == "duo_attention") return {evalItems("needle.jsonl", 2), {{"steps", "3"}}};
    if (metric == "vhd")
        return {
            datasetFromJsonLines(
                {R"({"context": "the secret of paris is tiger lemon .", "prompt": "the secret of paris is"})",
                 R"({"context": "alice apple bob river", "prompt": "alice apple bob"})"},
                "vhd pairs"),
            {}};
    if (metric == "active_dormant_flip") return {evalItems("backcopy.jsonl", 2), {}};
    return {datasetFromTexts({"alice apple bob river carol stone . carol stone alice apple bob",
                              "the secret of paris is tiger lemon . then . the secret of paris is"},
                             "two demo prompts"),
            {}};
}

class EveryMetricCancel : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        model = capture::loadModel(demoDir());
        tokenizer = capture::Tokenizer::fromModelFolder(demoDir());
    }
    static void TearDownTestSuite() {
        model.reset();
        tokenizer.reset();
    }
    static std::shared_ptr<capture::TransformerModel> model;
    static std::unique_ptr<capture::Tokenizer> tokenizer;
};
std::shared_ptr<capture::TransformerModel> EveryMetricCancel::model;
std::unique_ptr<capture::Tokenizer> EveryMetricCancel::tokenizer;

TEST_P(EveryMetricCancel, CancelFromTheFirstProgressReportThrowsCancelledAndPublishesNothing) {
    const std::string name = GetParam();
    const MetricCase c = caseFor(name);
    const auto& registry = MetricRegistry::global();

    int fullReports = 0;
    const capture::Progress counting([&](double, const std::string&) { ++fullReports; });
    const MetricResult full =
        runMetric(registry, name, c.params, {*model, tokenizer.get(), c.data, counting});
    ASSERT_GE(fullReports, 1) << name << " reports no progress, so nothing could cancel it";
    EXPECT_FALSE(full.scores.values.empty()) << name;

    std::atomic<bool> cancel{false};
    int reports = 0;
    const capture::Progress cancelling(
        [&](double, const std::string&) {
            ++reports;
            cancel = true;  // at the first report
        },
        &cancel);
    bool published = false;
    EXPECT_THROW(
        {
            runMetric(registry, name, c.params, {*model, tokenizer.get(), c.data, cancelling});
            published = true;
        },
        capture::Cancelled)
        << name;
    EXPECT_FALSE(published) << name;
    std::cout << "[cancel] " << name << ": " << reports << " of " << fullReports
              << " progress reports before it stopped\n";
    EXPECT_GE(reports, 1) << name;
    // It stopped where it was cancelled, not at its end (a metric whose first report is its
    // last has nothing left to skip).
    if (fullReports > 1) {
        EXPECT_LT(reports, fullReports) << name;
    }
}

TEST_P(EveryMetricCancel, CancelBeforeTheStartDoesNoWork) {
    const std::string name = GetParam();
    const MetricCase c = caseFor(name);
    std::atomic<bool> cancel{true};
    int reports = 0;
    const capture::Progress cancelled([&](double, const std::string&) { ++reports; }, &cancel);
    EXPECT_THROW(runMetric(MetricRegistry::global(), name, c.params,
                           {*model, tokenizer.get(), c.data, cancelled}),
                 capture::Cancelled)
        << name;
    EXPECT_EQ(reports, 0) << name;
}

std::vector<std::string> registeredMetrics() {
    std::vector<std::string> names;
    for (const auto& m : MetricRegistry::global().all())
        names.push_back(m->info().name);
    return names;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryMetricCancel, ::testing::ValuesIn(registeredMetrics()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param;
                         });

TEST(EveryMetricCancelCoverage, TheRegistryHoldsTheBuiltInMetrics) {
    // The parameterised suite above runs over whatever is registered; make sure that is all of
    // them (plugins are covered by tests/plugins, which cancel through runMetric too).
    EXPECT_GE(registeredMetrics().size(), 18u);
}

}  // namespace
}  // namespace attnscope::analysis
