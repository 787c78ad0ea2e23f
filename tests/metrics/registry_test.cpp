// The metric registry and the prefill-pattern metrics on the parity fixtures, checked against
// the reference implementation's patterns (expected.safetensors) reduced here by hand.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "attnscope/analysis/dataset.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/analysis/result_export.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/transformer_model.h"
#include "attnscope/store/capture_reader.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

class RegistryMetricTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / "llama-tiny-gqa";
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = capture::loadModel(dir);
        expected = std::make_unique<capture::SafetensorsFile>(dir / "expected.safetensors");
        const at::Tensor ids = expected->read("input_ids");
        data.description = "parity sequences";
        for (int64_t b = 0; b < ids.size(0); ++b) {
            std::vector<int64_t> row(ids[b].data_ptr<int64_t>(),
                                     ids[b].data_ptr<int64_t>() + ids.size(1));
            data.items.push_back({"", nlohmann::json{{"ids", row}}});
        }
    }
    MetricResult run(const std::string& name, const std::map<std::string, std::string>& params) {
        const MetricContext ctx{*model, nullptr, data, {}};
        return runMetric(MetricRegistry::global(), name, params, ctx);
    }
    // Reference pattern of item b, layer l, head h as a [T, T] tensor.
    at::Tensor pattern(int64_t b, int l, int h) {
        return expected->read("blocks." + std::to_string(l) + ".attn.hook_pattern")[b][h];
    }

    std::shared_ptr<capture::TransformerModel> model;
    std::unique_ptr<capture::SafetensorsFile> expected;
    Dataset data;
};

TEST_F(RegistryMetricTest, SinkRateIsTheMeanFirstTokenAttentionOfTheReference) {
    const MetricResult r = run("sink_rate", {{"max_tokens", "0"}});
    const int L = 2, H = 4;
    ASSERT_EQ(r.scores.layers, L);
    double above = 0;
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
            double mean = 0;
            for (int64_t b = 0; b < 2; ++b) {
                const at::Tensor a = pattern(b, l, h);
                const double alpha0 = a.select(1, 0).sum().item<double>() / a.size(0);  // (T - 0)
                mean += alpha0 / 2;
                above += alpha0 > 0.3 ? 1 : 0;
            }
            EXPECT_NEAR(r.scores.at(l, h), mean, 1e-4) << l << "," << h;
        }
    EXPECT_NEAR(r.details["sink_rate_percent"].get<double>(), 100.0 * above / (2 * L * H), 1e-9);
    EXPECT_EQ(r.params["eps"]["value"].get<double>(), 0.3);
}

TEST_F(RegistryMetricTest, SinkMassUsesTheStartSizeParameter) {
    const MetricResult r = run("sink_mass", {{"start_size", "2"}});
    EXPECT_TRUE(r.params["start_size"]["unverified"].get<bool>());
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            double mean = 0;
            for (int64_t b = 0; b < 2; ++b) {
                const at::Tensor a = pattern(b, l, h);
                const int64_t T = a.size(0);
                mean += a.slice(0, 2, T).slice(1, 0, 2).sum().item<double>() / (T - 2) / 2;
            }
            EXPECT_NEAR(r.scores.at(l, h), mean, 1e-4);
        }
}

TEST_F(RegistryMetricTest, BadParametersAndNamesAreClearErrors) {
    auto expectError = [&](const std::string& metric, const std::map<std::string, std::string>& p,
                           const std::string& fragment) {
        try {
            run(metric, p);
            FAIL() << "expected InputError";
        } catch (const capture::InputError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expectError("no_such_metric", {}, "unknown metric 'no_such_metric' (available: ");
    expectError("sink_mass", {{"start", "3"}}, "unknown parameter 'start' (parameters: ");
    expectError("sink_mass", {{"start_size", "three"}},
                "parameter 'start_size' must be an integer");
    expectError("sink_rate", {{"eps", "0.3x"}}, "parameter 'eps' must be a number");
    data.items.clear();
    expectError("sink_rate", {}, "no items");
}

TEST_F(RegistryMetricTest, ResultsRoundTripThroughTheResultsGroupAndCsv) {
    const MetricResult r = run("h2o_concentration", {});
    const auto path = std::filesystem::temp_directory_path() /
                      ("attnscope-results-" + std::to_string(::getpid()) + ".h5");
    writeResult(path, "h2o_concentration", "probe", r,
                {"LlamaForCausalLM", "{}", "float32", model->fingerprint()});
    writeResult(path, "sink_rate", "probe", run("sink_rate", {}),
                {"LlamaForCausalLM", "{}", "float32", model->fingerprint()});
    store::CaptureReader reader(path);
    const auto table = reader.readScores("h2o_concentration", "probe");
    ASSERT_EQ(table.values.size(), r.scores.values.size());
    for (std::size_t i = 0; i < table.values.size(); ++i)
        EXPECT_FLOAT_EQ(table.values[i], static_cast<float>(r.scores.values[i]));
    const auto attrs = nlohmann::json::parse(reader.scoreParams("h2o_concentration", "probe"));
    EXPECT_EQ(attrs["fingerprint"], model->fingerprint());
    EXPECT_EQ(attrs["params"]["ratio"]["value"].get<double>(), 0.1);
    EXPECT_EQ(reader.resultMetrics().size(), 2u);
    std::filesystem::remove(path);

    std::istringstream csv(resultToCsv(r));
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "layer,head,score");
    int rows = 0;
    while (std::getline(csv, line)) {
        int l = 0, h = 0;
        double v = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,%lf", &l, &h, &v), 3) << line;
        EXPECT_NEAR(v, r.scores.at(l, h), 1e-6);
        ++rows;
    }
    EXPECT_EQ(rows, 8);
}

TEST(DatasetTest, ReadsTextAndJsonLinesAndRejectsMalformedLines) {
    const auto dir = std::filesystem::temp_directory_path();
    const auto txt = dir / ("attnscope-data-" + std::to_string(::getpid()) + ".txt");
    const auto jsonl = dir / ("attnscope-data-" + std::to_string(::getpid()) + ".jsonl");
    std::ofstream(txt) << "first prompt\n\n  \nsecond prompt\n";
    std::ofstream(jsonl) << R"({"input": "how to x", "harmful": true})"
                         << "\n"
                         << R"({"ids": [1, 2]})"
                         << "\n";
    const Dataset a = loadDataset(txt);
    ASSERT_EQ(a.items.size(), 2u);
    EXPECT_EQ(a.items[1].text, "second prompt");
    const Dataset b = loadDataset(jsonl);
    ASSERT_EQ(b.items.size(), 2u);
    EXPECT_EQ(b.items[0].text, "how to x");
    EXPECT_TRUE(b.items[0].fields["harmful"].get<bool>());
    std::ofstream(jsonl) << R"({"input": "ok"})"
                         << "\n"
                         << "{broken\n";
    try {
        loadDataset(jsonl);
        FAIL();
    } catch (const capture::InputError& e) {
        EXPECT_NE(std::string(e.what()).find(jsonl.string() + ":2: not valid JSON"),
                  std::string::npos)
            << e.what();
    }
    std::filesystem::remove(txt);
    std::filesystem::remove(jsonl);
}

}  // namespace
}  // namespace attnscope::analysis
