// Acceptance on the shipped demo model (resources/models/demo): retrieval heads and masking,
// sink heads and active/dormant flips, DuoAttention gates. Skipped when the model is missing.
// Small slices of the held-out eval files keep the run short; figures are printed.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <set>

#include "attnscope/analysis/metric.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_model_dir.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

namespace fs = std::filesystem;

fs::path demoDir() {
    return test::demoModelDir();
}

#define REQUIRE_DEMO()                                                      \
    do {                                                                    \
        if (!fs::exists(demoDir() / "model.safetensors"))                   \
            GTEST_SKIP() << "demo model missing (" << demoDir().string()    \
                         << "): merge main once the demo model has landed"; \
    } while (0)

struct Demo {
    std::shared_ptr<capture::TransformerModel> model;
    std::unique_ptr<capture::Tokenizer> tokenizer;
};

Demo& demo() {
    static Demo d = [] {
        Demo out;
        out.model = capture::loadModel(demoDir());
        out.tokenizer = capture::Tokenizer::fromModelFolder(demoDir());
        return out;
    }();
    return d;
}

// The first `count` records of eval/<task>.jsonl as prompt items (fields kept).
Dataset evalItems(const std::string& task, std::size_t count) {
    Dataset data;
    data.description = "demo eval/" + task;
    std::ifstream in(demoDir() / "eval" / (task + ".jsonl"));
    for (std::string line; std::getline(in, line) && data.items.size() < count;) {
        const auto j = nlohmann::json::parse(line);
        data.items.push_back({j.at("prompt").get<std::string>(), j});
    }
    return data;
}

MetricResult run(const std::string& name, const Dataset& data,
                 const std::map<std::string, std::string>& params) {
    const MetricContext ctx{*demo().model, demo().tokenizer.get(), data, {}};
    return runMetric(MetricRegistry::global(), name, params, ctx);
}

std::string label(int l, int h) {
    return "L" + std::to_string(l) + "H" + std::to_string(h);
}

const std::map<std::string, std::string> kNeedleDecode = {{"stop_tokens", "eos"},
                                                          {"max_new_tokens", "8"}};

// Masking run with the given ranked heads; random heads avoid the top `exclude` heads.
MetricResult mask(const Dataset& data, const HeadTable& scores, int k, int exclude) {
    std::string heads;
    for (const auto& h : topHeads(scores, exclude))
        heads += (heads.empty() ? "" : ",") + label(h.layer, h.head);
    auto params = kNeedleDecode;
    params["heads"] = heads;
    params["top_k"] = std::to_string(k);
    params["exclude_top"] = std::to_string(exclude);
    const MetricResult m = run("retrieval_masking", data, params);
    std::cout << "k " << k << ": recall none " << m.details["recall_none"] << ", top "
              << m.details["top_heads"].dump() << " masked " << m.details["recall_top_masked"]
              << ", random " << m.details["random_heads"].dump() << " masked "
              << m.details["recall_random_masked"] << "\n";
    return m;
}

TEST(DemoAcceptance, RetrievalScoreFindsTheCopyHeadsAndMaskingThemBreaksRecall) {
    REQUIRE_DEMO();
    const Dataset data = evalItems("needle", 40);
    const MetricResult rs = run("retrieval_score", data, kNeedleDecode);
    ASSERT_GT(rs.details["accepted_instances"].get<int>(), 30);
    std::cout << "retrieval heads (score > 0.1): " << rs.details["retrieval_heads"].dump()
              << ", fraction " << rs.details["fraction_above_threshold"] << "\n";
    // The demo model was trained with layer 2 heads 0, 1 and 2 as its only needle-copying heads
    // (train-demo --retrieval-heads 2.0,2.1,2.2, see its README): the score must rank them top.
    std::set<std::string> top;
    for (const auto& h : topHeads(rs.scores, 3)) {
        top.insert(label(h.layer, h.head));
        EXPECT_GE(rs.scores.at(h), 0.9) << label(h.layer, h.head);
    }
    EXPECT_EQ(top, (std::set<std::string>{"L2H0", "L2H1", "L2H2"}));
    // Acceptance: masking the top k <= 10% of heads (3 of 32) drops recall by >= 50 points,
    // masking k random heads outside the top set by <= 10.
    const int k = static_cast<int>(rs.scores.layers * rs.scores.heads / 10);
    const MetricResult m = mask(data, rs.scores, k, k);
    const double none = m.details["recall_none"];
    EXPECT_GE(none - m.details["recall_top_masked"].get<double>(), 50.0);
    EXPECT_LE(none - m.details["recall_random_masked"].get<double>(), 10.0);
}

TEST(DemoAcceptance, SinkFiguresAndTheClosestActiveDormantHead) {
    REQUIRE_DEMO();
    const Dataset data = evalItems("backcopy", 40);
    const MetricResult rate = run("sink_rate", data, {{"max_tokens", "0"}});
    const MetricResult mass = run("sink_mass", data, {{"start_size", "1"}});
    const MetricResult strict = run("active_dormant_flip", data, {});
    // The demo model's README: layer 3 head 2 is dormant on <bos> at ordinary tokens (>= 50%)
    // and active at the triggers (< 20%), the metric's default rule; no other head is.
    EXPECT_EQ(strict.details["flipped_heads"], nlohmann::json({"L3H2"}));
    const MetricResult& flip = strict;
    const int heads = rate.scores.heads;
    const auto k = static_cast<std::size_t>(3 * heads + 2);
    const double ordinary = flip.details["bos_mass_ordinary"][k].get<double>();
    const double trigger = flip.details["bos_mass_trigger"][k].get<double>();
    EXPECT_GE(ordinary, 0.5);
    EXPECT_LT(trigger, 0.2);
    EXPECT_GT(rate.scores.at(3, 2), 0.3);  // a sink head by Gu et al.'s eps
    const MetricResult drain = run("value_drain", data, {});
    const MetricResult peak = run("residual_peak", data, {});
    std::cout << "sink rate " << rate.details["sink_rate_percent"] << "%; L3H2: BOS ordinary "
              << ordinary << " / trigger " << trigger << ", alpha[0] " << rate.scores.at(3, 2)
              << ", sink mass " << mass.scores.at(3, 2) << ", BOS value norm "
              << drain.details["sink_norm"][k] << " vs others " << drain.details["non_sink_min"][k]
              << ".." << drain.details["non_sink_max"][k] << "\n";
    EXPECT_LT(drain.details["sink_norm"][k].get<double>(),
              drain.details["non_sink_max"][k].get<double>());
    for (int l = 0; l < peak.scores.layers; ++l)
        std::cout << "layer " << l << " residual BOS norm " << peak.details["bos_norm"][l]
                  << " / max other " << peak.details["max_other_norm"][l] << "\n";
}

TEST(DemoAcceptance, DuoGatesAreBimodalAndOverlapRetrievalHeads) {
    REQUIRE_DEMO();
    const Dataset data = evalItems("needle", 24);
    const MetricResult rs = run("retrieval_score", data, kNeedleDecode);
    const MetricResult duo =
        run("duo_attention", data,
            {{"steps", "80"}, {"sink", "2"}, {"recent", "8"}, {"sparsity", "0.5"}});
    const auto& c = demo().model->config();
    const int group = static_cast<int>(c.nHeads / c.nKvHeads);
    const auto isRetrieval = duo.details["is_retrieval"].get<std::vector<double>>();
    std::set<std::string> duoHeads, rsHeads, both;
    for (int l = 0; l < duo.scores.layers; ++l)
        for (int j = 0; j < duo.scores.heads; ++j)
            if (isRetrieval[static_cast<std::size_t>(l * duo.scores.heads + j)] == 1.0)
                duoHeads.insert(label(l, j));
    for (const auto& h : rs.details["retrieval_heads"]) {
        int l = 0, q = 0;
        std::sscanf(h.get<std::string>().c_str(), "L%dH%d", &l, &q);
        rsHeads.insert(label(l, q / group));  // the query head's KV head
        if (duoHeads.count(label(l, q / group))) both.insert(h.get<std::string>());
    }
    std::cout << "duo gates " << nlohmann::json(duo.scores.values).dump() << "\nbimodal "
              << duo.details["fraction_bimodal"] << ", retrieval-score heads in DUO retrieval set "
              << both.size() << " of " << rs.details["retrieval_heads"].size() << "\n";
    EXPECT_GE(duo.details["fraction_bimodal"].get<double>(), 0.5);
    EXPECT_GE(both.size(), 1u);
    // The needle-copying heads the model was trained with (README; MHA, so KV head = query
    // head) keep full attention.
    for (const char* h : {"L2H0", "L2H1", "L2H2"})
        EXPECT_EQ(duoHeads.count(h), 1u) << h;
}

// The defaults on a model smaller than the reference's 30 + 30 heads: K is capped at half the
// heads (reported), and masking the top heads still hurts recall more than random ones.
TEST(DemoRetrieval, MaskingWithDefaultsCapsKOnASmallModel) {
    REQUIRE_DEMO();
    const MetricResult r = run("retrieval_masking", evalItems("needle", 16), kNeedleDecode);
    ASSERT_TRUE(r.details.contains("top_k_capped"));
    const int heads =
        static_cast<int>(demo().model->config().nLayers * demo().model->config().nHeads);
    EXPECT_EQ(r.details["top_k_capped"]["asked"], 30);
    EXPECT_EQ(r.details["top_k_capped"]["used"], heads / 2);
    EXPECT_EQ(r.details["top_heads"].size(), static_cast<size_t>(heads / 2));
    EXPECT_EQ(r.details["random_heads"].size(), static_cast<size_t>(heads / 2));
    EXPECT_LT(r.details["recall_top_masked"].get<double>(),
              r.details["recall_random_masked"].get<double>());
}

// Plain prompts (as typed in the window) carry no needle: they become the haystack of a grid
// with the classic needle, length_count x depth_count instances.
TEST(DemoRetrieval, PlainPromptsBecomeTheHaystackOfAGeneratedGrid) {
    REQUIRE_DEMO();
    Dataset plain;
    plain.items.push_back({"alice apple bob river carol stone . carol stone alice apple bob", {}});
    plain.items.push_back({"the cat sat on the mat .", {}});
    auto params = kNeedleDecode;
    params["length_count"] = "3";
    params["depth_count"] = "2";
    params["context_buffer"] = "0";
    const MetricResult r = run("retrieval_score", plain, params);
    ASSERT_TRUE(r.details.contains("generated_grid"));
    EXPECT_NE(r.details["generated_grid"].get<std::string>().find("2 prompts"), std::string::npos);
    EXPECT_EQ(r.details["instances"], 6);
}

TEST(DemoRetrieval, ItemsWithoutTheirNeedleSayWhatToGive) {
    REQUIRE_DEMO();
    Dataset mixed = evalItems("needle", 1);
    mixed.items.push_back({"a prompt with a question but no answer", {{"needle", "x"}}});
    try {
        run("retrieval_score", mixed, kNeedleDecode);
        ADD_FAILURE() << "an item without its answer was accepted";
    } catch (const capture::InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("needle item 2"), std::string::npos) << what;
        EXPECT_NE(what.find("\"answer\" (the text the model should retrieve"), std::string::npos)
            << what;
    }
}

}  // namespace
}  // namespace attnscope::analysis
