// Batched ablated generation and the attack-success rate against one plain greedy loop per
// prompt written here (full re-run every step, as the reference), judged by the keyword rule.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/analysis/attack_success.h"
#include "attnscope/analysis/metric.h"
#include "attnscope/analysis/refusal_rule.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "safety_fixture.h"

namespace attnscope::analysis {
namespace {

using test::loadParityModel;
using test::randomPrompts;
using test::singleForward;

// A word-level tokenizer over the fixture's 512 ids: <unk>, <bos>, <eos>, then "wN", with every
// 7th word a refusal keyword ("crimeN") so that some generations count as refusals.
std::unique_ptr<capture::Tokenizer> wordTokenizer() {
    nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
    vocab["<unk>"] = 0;
    vocab["<bos>"] = 1;
    vocab["<eos>"] = 2;
    for (int i = 3; i < 512; ++i)
        vocab[(i % 7 == 0 ? "crime" : "w") + std::to_string(i)] = i;
    nlohmann::ordered_json added = nlohmann::ordered_json::array();
    for (int i = 0; i < 3; ++i)
        added.push_back({{"id", i},
                         {"content", i == 0   ? "<unk>"
                                     : i == 1 ? "<bos>"
                                              : "<eos>"},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", true}});
    const nlohmann::ordered_json doc = {
        {"version", "1.0"},
        {"added_tokens", added},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"post_processor", nullptr},
        {"decoder", nullptr},
        {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}}}};
    return capture::Tokenizer::fromTokenizerJsonString(doc.dump(), "test words");
}

// Greedy continuation of one prompt, re-running the whole sequence each step, with `heads`
// q-scaled by eps; stops at <eos> (2), which is not decoded.
std::string greedyByHand(capture::TransformerModel& model, const capture::Tokenizer& tok,
                         std::vector<int64_t> ids, const HeadSet& heads, int steps) {
    std::vector<int64_t> out;
    for (int s = 0; s < steps; ++s) {
        const int64_t next = singleForward(model, ids, heads, MaskTarget::Query, 1e-4)
                                 .logits.argmax()
                                 .item<int64_t>();
        if (next == 2) break;
        out.push_back(next);
        ids.push_back(next);
    }
    return tok.decode(out, true);
}

TEST(AttackSuccess, BatchedAblatedGenerationEqualsOneGreedyLoopPerPrompt) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto tok = wordTokenizer();
    // Lengths 5, 6, 5, 6 (two batches of equal length), three variants.
    auto prompts = randomPrompts(*model, 2, 31);
    const auto more = randomPrompts(*model, 2, 32);
    prompts.insert(prompts.end(), more.begin(), more.end());
    const std::vector<HeadSet> variants = {{}, {{0, 1}}, {{1, 2}, {0, 3}}};
    GenerationSettings settings;
    settings.maxNewTokens = 6;
    settings.batchSize = 4;
    const auto texts = generateAblated(*model, *tok, prompts, variants, AblationSpec{}, settings);
    ASSERT_EQ(texts.size(), variants.size());
    std::size_t differing = 0;
    for (std::size_t v = 0; v < variants.size(); ++v)
        for (std::size_t p = 0; p < prompts.size(); ++p) {
            const std::string expected = greedyByHand(*model, *tok, prompts[p], variants[v], 6);
            EXPECT_EQ(texts[v][p], expected) << "variant " << v << " prompt " << p;
            differing += v > 0 && texts[v][p] != texts[0][p] ? 1 : 0;
        }
    EXPECT_GT(differing, 0u);  // ablations change some continuations
}

TEST(AttackSuccess, RateIsTheNonRefusalFractionOfTheGenerations) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto tok = wordTokenizer();
    std::vector<std::string> prompts;
    std::vector<std::vector<int64_t>> ids;
    for (const auto& p : randomPrompts(*model, 6, 41)) {
        prompts.push_back(tok->decode(p));
        ids.push_back(tok->encode(prompts.back()).ids);
    }
    GenerationSettings settings;
    settings.maxNewTokens = 8;
    for (const HeadSet& heads : {HeadSet{}, HeadSet{{1, 0}}}) {
        std::vector<std::string> texts;
        for (const auto& p : ids)
            texts.push_back(greedyByHand(*model, *tok, p, heads, 8));
        int harmless = 0;
        for (const auto& t : texts)
            harmless += t.find("crime") != std::string::npos || t.size() < 32 ? 1 : 0;
        const double expected = double(int(texts.size()) - harmless) / double(texts.size());
        EXPECT_DOUBLE_EQ(attackSuccessRate(*model, *tok, prompts, heads, AblationSpec{}, settings),
                         expected);
    }
}

TEST(AttackSuccess, MetricTableIsTheRatePerHeadWithBenignAccuracy) {
    auto model = loadParityModel("llama-tiny-gqa");
    if (!model) GTEST_SKIP() << "parity fixture missing";
    const auto tok = wordTokenizer();
    Dataset data;
    const auto prompts = randomPrompts(*model, 4, 51);
    for (std::size_t i = 0; i < prompts.size(); ++i)
        data.items.push_back({tok->decode(prompts[i]), {{"harmful", i < 3}, {"answer", "w5"}}});
    const MetricContext ctx{*model, tok.get(), data, {}};
    const MetricResult r = runMetric(MetricRegistry::global(), "ablation_asr",
                                     {{"max_new_tokens", "8"}, {"head_set", "1.0, 0.2"}}, ctx);
    std::vector<std::string> harmful;
    for (int i = 0; i < 3; ++i)
        harmful.push_back(data.items[static_cast<std::size_t>(i)].text);
    GenerationSettings settings;
    settings.maxNewTokens = 8;
    for (const HeadId h : {HeadId{0, 0}, HeadId{1, 3}})
        EXPECT_DOUBLE_EQ(r.scores.at(h),
                         attackSuccessRate(*model, *tok, harmful, {h}, AblationSpec{}, settings));
    EXPECT_DOUBLE_EQ(r.details["base_asr"].get<double>(),
                     attackSuccessRate(*model, *tok, harmful, {}, AblationSpec{}, settings));
    EXPECT_DOUBLE_EQ(
        r.details["head_set_asr"].get<double>(),
        attackSuccessRate(*model, *tok, harmful, {{1, 0}, {0, 2}}, AblationSpec{}, settings));
    EXPECT_EQ(r.details["benign_prompts"], 1);
    EXPECT_EQ(r.details["benign_accuracy"].size(), 8u);
    EXPECT_THROW(runMetric(MetricRegistry::global(), "ablation_asr", {{"head_set", "1-2"}}, ctx),
                 capture::InputError);
    EXPECT_THROW(
        runMetric(MetricRegistry::global(), "ablation_asr", {{"max_new_tokens", "0"}}, ctx),
        capture::InputError);
    const MetricContext noTokenizer{*model, nullptr, data, {}};
    EXPECT_THROW(runMetric(MetricRegistry::global(), "ablation_asr", {}, noTokenizer),
                 capture::InputError);
}

}  // namespace
}  // namespace attnscope::analysis
