// Needle decoding, the retrieval score and decode-only masking on the random-weight parity
// fixture. Head behaviour is forced with hooks the test adds, so the expected scores follow
// from the forced rows and tokens, computed here.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <atomic>

#include "attnscope/analysis/metric.h"
#include "attnscope/analysis/needle_retrieval.h"
#include "attnscope/analysis/retrieval_masking.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/kv_cache.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis {
namespace {

at::Tensor row(const std::vector<int64_t>& ids) {
    return at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
}

class NeedleFixture : public ::testing::Test {
protected:
    void SetUp() override {
        const auto dir = test::fixturesDir() / "parity" / "llama-tiny-gqa";
        ATTNSCOPE_REQUIRE_FIXTURE(dir);
        model = capture::loadModel(dir);
    }
    std::shared_ptr<capture::TransformerModel> model;
};

// Prompt P (N = 12) whose needle span is [3, 7).
const std::vector<int64_t> kPrompt = {1, 40, 41, 100, 101, 102, 103, 42, 43, 44, 45, 46};
constexpr int kSpanBegin = 3, kSpanEnd = 7;
constexpr int64_t kEos = 2;

// Forces the greedy tokens (P[3..6], then EOS) through the logits, and one-hot decode rows:
// L1H2 on the needle token being produced, L0H0 on the token after it (a wrong copy).
void forceCopying(capture::HookScope& scope) {
    const int64_t n = static_cast<int64_t>(kPrompt.size());
    scope.add("logits", [n](at::Tensor& logits, const capture::HookContext& ctx) {
        if (ctx.positionOffset == 0) return;  // prefill: not a decode step
        const int64_t step = ctx.positionOffset - (n - 1);
        const int64_t target =
            step < 4 ? kPrompt[static_cast<std::size_t>(kSpanBegin + step)] : kEos;
        at::Tensor l = logits.clone();
        l.select(-1, target).fill_(1e4);
        logits = l;
    });
    auto oneHot = [n](int64_t layer, int64_t head, int64_t shift) {
        return [n, layer, head, shift](at::Tensor& p, const capture::HookContext& ctx) {
            if (ctx.positionOffset == 0) return;
            const int64_t step = ctx.positionOffset - (n - 1);
            const int64_t key = step < 4 ? kSpanBegin + step + shift : 0;
            at::Tensor e = p.clone();
            e[0][head].zero_();
            e[0][head][-1][key] = 1.0;
            p = e;
            (void)layer;
        };
    };
    scope.add("blocks.1.attn.hook_pattern", oneHot(1, 2, 0));
    scope.add("blocks.0.attn.hook_pattern", oneHot(0, 0, 1));
}

TEST_F(NeedleFixture, RetrievalScoreCountsTheForcedCopiesOfRealDecodeRows) {
    capture::HookScope scope(model->hooks());
    forceCopying(scope);
    // Capture every decode step's rows independently (after the edits) to recompute all heads.
    std::vector<std::vector<at::Tensor>> steps;  // [step][layer] → [head, keys]
    for (int l = 0; l < 2; ++l)
        scope.add("blocks." + std::to_string(l) + ".attn.hook_pattern",
                  [&steps, l](at::Tensor& p, const capture::HookContext& ctx) {
                      if (ctx.positionOffset == 0) return;
                      if (l == 0) steps.emplace_back();
                      steps.back().push_back(p[0].select(1, -1).clone());
                  });
    NeedleInstance inst;
    inst.ids = kPrompt;
    inst.span = {kSpanBegin, kSpanEnd};
    inst.realNeedle = "100 101 102 103";
    NeedleDecodeOptions o;
    o.maxNewTokens = 10;
    o.stopTokens = {kEos};
    RetrievalScoreAccumulator acc(2, 4);
    const NeedleDecode d = decodeNeedle(*model, nullptr, inst, o, &acc);

    ASSERT_EQ(d.generated, (std::vector<int64_t>{100, 101, 102, 103, kEos}));
    EXPECT_EQ(d.response, "100 101 102 103 2");
    EXPECT_DOUBLE_EQ(d.recallPercent, 100.0);
    ASSERT_EQ(steps.size(), 5u);  // the stop token's step is scored too
    HeadTable expected(2, 4, 0.0);
    for (std::size_t t = 0; t < steps.size(); ++t)
        for (int l = 0; l < 2; ++l) {
            ASSERT_EQ(steps[t][static_cast<std::size_t>(l)].size(1),
                      static_cast<int64_t>(kPrompt.size() + t));  // all cached keys + current
            for (int h = 0; h < 4; ++h) {
                const int64_t j = steps[t][static_cast<std::size_t>(l)][h].argmax().item<int64_t>();
                if (j >= kSpanBegin && j < kSpanEnd &&
                    kPrompt[static_cast<std::size_t>(j)] == d.generated[t])
                    expected.at(l, h) += 1.0 / (kSpanEnd - kSpanBegin);
            }
        }
    EXPECT_DOUBLE_EQ(expected.at(1, 2), 1.0);  // the forced copy head, by construction
    EXPECT_DOUBLE_EQ(expected.at(0, 0), 0.0);  // attends the wrong needle token
    ASSERT_EQ(acc.acceptedInstances(), 1);
    const HeadTable rs = acc.meanScores();
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h)
            EXPECT_DOUBLE_EQ(rs.at(l, h), expected.at(l, h)) << "L" << l << "H" << h;
}

TEST_F(NeedleFixture, FailedRetrievalAddsNothing) {
    capture::HookScope scope(model->hooks());
    forceCopying(scope);
    NeedleInstance inst;
    inst.ids = kPrompt;
    inst.span = {kSpanBegin, kSpanEnd};
    inst.realNeedle = "7 8 9 100";  // recall 25: below the gate
    NeedleDecodeOptions o;
    o.stopTokens = {kEos};
    RetrievalScoreAccumulator acc(2, 4);
    const NeedleDecode d = decodeNeedle(*model, nullptr, inst, o, &acc);
    EXPECT_DOUBLE_EQ(d.recallPercent, 25.0);
    EXPECT_EQ(acc.acceptedInstances(), 0);
    EXPECT_TRUE(std::isnan(acc.meanScores().at(1, 2)));
}

// Decode steps (forward calls after the prefill) that ran, counted by a hook.
void countDecodeSteps(capture::HookScope& scope, int& steps) {
    scope.add("blocks.0.attn.hook_pattern", [&steps](at::Tensor&, const capture::HookContext& c) {
        if (c.positionOffset > 0) ++steps;
    });
}

TEST_F(NeedleFixture, CancelledDecodeStopsBeforeTheNextStep) {
    capture::HookScope scope(model->hooks());
    forceCopying(scope);
    int steps = 0;
    std::atomic<bool> cancel{false};
    // Cancelled from inside the second decode step: the third never runs.
    scope.add("blocks.1.attn.hook_pattern", [&](at::Tensor&, const capture::HookContext& c) {
        if (c.positionOffset > 0 && steps == 2) cancel = true;
    });
    countDecodeSteps(scope, steps);
    NeedleInstance inst;
    inst.ids = kPrompt;
    inst.span = {kSpanBegin, kSpanEnd};
    inst.realNeedle = "100 101 102 103";
    NeedleDecodeOptions o;
    o.stopTokens = {kEos};
    RetrievalScoreAccumulator acc(2, 4);
    EXPECT_THROW(decodeNeedle(*model, nullptr, inst, o, &acc, capture::Progress({}, &cancel)),
                 capture::Cancelled);
    EXPECT_EQ(steps, 2);
    EXPECT_EQ(acc.acceptedInstances(), 0);  // the unfinished instance is not scored
}

TEST_F(NeedleFixture, CancelledGridStopsAfterTheReportedInstance) {
    capture::HookScope scope(model->hooks());
    forceCopying(scope);
    int steps = 0;
    countDecodeSteps(scope, steps);
    NeedleInstance inst;
    inst.ids = kPrompt;
    inst.span = {kSpanBegin, kSpanEnd};
    inst.realNeedle = "100 101 102 103";
    const std::vector<NeedleInstance> instances(3, inst);
    NeedleDecodeOptions o;
    o.stopTokens = {kEos};
    std::atomic<bool> cancel{false};
    std::vector<std::pair<double, std::string>> reports;
    const capture::Progress progress(
        [&](double f, const std::string& what) {
            reports.emplace_back(f, what);
            if (what == "needle 1 of 3") cancel = true;
        },
        &cancel);
    RetrievalScoreAccumulator acc(2, 4);
    EXPECT_THROW(decodeNeedleGrid(*model, nullptr, instances, o, &acc, progress),
                 capture::Cancelled);
    EXPECT_EQ(steps, 5);  // the first instance's five decode steps, none of the second's
    ASSERT_FALSE(reports.empty());
    EXPECT_DOUBLE_EQ(reports.back().first, 1.0 / 3.0);
    EXPECT_EQ(acc.acceptedInstances(), 1);

    // Through the registry: a cancelled metric throws, so no partial scores reach a caller.
    Dataset data;
    data.items.push_back({"", {{"ids", kPrompt}, {"real_needle_ids", {100, 101, 102, 103}}}});
    data.items.push_back(data.items.front());
    cancel = false;
    const MetricContext ctx{
        *model, nullptr, data,
        capture::Progress([&](double, const std::string&) { cancel = true; }, &cancel)};
    EXPECT_THROW(runMetric(MetricRegistry::global(), "retrieval_score",
                           {{"stop_tokens", "2"}, {"max_new_tokens", "8"}}, ctx),
                 capture::Cancelled);
}

TEST_F(NeedleFixture, RetrievalScoreMetricRunsPromptItems) {
    capture::HookScope scope(model->hooks());
    forceCopying(scope);
    Dataset data;
    data.items.push_back({"", {{"ids", kPrompt}, {"real_needle_ids", {100, 101, 102, 103}}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r = runMetric(MetricRegistry::global(), "retrieval_score",
                                     {{"stop_tokens", "2"}, {"max_new_tokens", "8"}}, ctx);
    EXPECT_DOUBLE_EQ(r.scores.at(1, 2), 1.0);
    EXPECT_DOUBLE_EQ(r.scores.at(0, 0), 0.0);
    EXPECT_EQ(r.details["accepted_instances"].get<int>(), 1);
    EXPECT_EQ(r.details["needle_spans"][0], nlohmann::json({kSpanBegin, kSpanEnd}));
    int above = 0;
    for (double v : r.scores.values)
        above += v > 0.1;
    EXPECT_DOUBLE_EQ(r.details["fraction_above_threshold"].get<double>(), above / 8.0);
    EXPECT_GE(above, 1);
}

TEST_F(NeedleFixture, DecodeOnlyMaskKeepsThePrefillAndMakesDecodeRowsUniform) {
    at::NoGradGuard noGrad;
    const std::vector<int64_t> prefix(kPrompt.begin(), kPrompt.end() - 1);
    const at::Tensor plain = model->forward(row(prefix));
    capture::KvCache cache(2);
    capture::ForwardOptions fo;
    fo.cache = &cache;
    capture::HookScope scope(model->hooks());
    addDecodeQueryMask(scope, *model, {{1, 3}});
    std::vector<at::Tensor> rows;
    scope.add("blocks.1.attn.hook_pattern",
              [&rows](at::Tensor& p, const capture::HookContext&) { rows.push_back(p[0]); });
    const at::Tensor prefill = model->forward(row(prefix), fo);
    EXPECT_TRUE(at::equal(prefill, plain));
    const at::Tensor decoded = model->forward(row({kPrompt.back()}), fo);
    ASSERT_EQ(rows.size(), 2u);
    // Prefill rows of the masked head are not uniform (random weights); the decode row is.
    const at::Tensor pre = rows[0][3][-1];
    EXPECT_GT((pre - 1.0 / pre.size(0)).abs().max().item<double>(), 1e-3);
    const at::Tensor dec = rows[1][3][0];
    ASSERT_EQ(dec.size(0), static_cast<int64_t>(kPrompt.size()));
    EXPECT_TRUE(at::allclose(dec, at::full_like(dec, 1.0 / kPrompt.size()), 0, 1e-7));
    EXPECT_GT((rows[1][2][0] - 1.0 / kPrompt.size()).abs().max().item<double>(), 1e-3);
    // The masked decode step differs from the unmasked last row of a full forward.
    capture::ForwardOptions all;
    all.allLogits = true;
    scope.clear();
    const at::Tensor full = model->forward(row(kPrompt), all)[0][-1];
    EXPECT_GT((decoded[0][-1] - full).abs().max().item<double>(), 1e-4);
}

TEST_F(NeedleFixture, RandomHeadsAvoidTheTopSetUnlessCompat) {
    const std::vector<HeadId> top = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 3}};
    for (std::uint32_t seed = 0; seed < 5; ++seed)
        EXPECT_EQ(randomHeadsOutside(2, 4, top, 2, seed), (std::vector<HeadId>{{0, 3}, {1, 2}}));
    bool overlapped = false;
    for (std::uint32_t seed = 0; seed < 20 && !overlapped; ++seed)
        for (const auto& h : randomHeadsOutside(2, 4, top, 2, seed, true))
            overlapped = overlapped || std::find(top.begin(), top.end(), h) != top.end();
    EXPECT_TRUE(overlapped);
    EXPECT_THROW(randomHeadsOutside(2, 4, top, 3, 0), capture::InputError);
}

TEST_F(NeedleFixture, MaskingMetricMarksTopAndRandomHeads) {
    Dataset data;
    data.items.push_back({"", {{"ids", kPrompt}, {"real_needle_ids", {100, 101, 102, 103}}}});
    const MetricContext ctx{*model, nullptr, data, {}};
    const MetricResult r = runMetric(MetricRegistry::global(), "retrieval_masking",
                                     {{"heads", "L1H2,L0H0,L0H3"},
                                      {"top_k", "2"},
                                      {"exclude_top", "3"},
                                      {"max_new_tokens", "4"}},
                                     ctx);
    EXPECT_EQ(r.details["top_heads"], nlohmann::json({"L1H2", "L0H0"}));
    int top = 0, random = 0;
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < 4; ++h) {
            const double v = r.scores.at(l, h);
            top += v == 1.0;
            random += v == -1.0;
            if (v == -1.0) {
                EXPECT_FALSE(l == 0 && h == 3) << "L0H3 is in the excluded top set";
            }
        }
    EXPECT_EQ(top, 2);
    EXPECT_EQ(random, 2);
    EXPECT_EQ(r.details["grid_none"]["per_instance"].size(), 1u);
}

// A word-level tokenizer (WhitespaceSplit, BOS template, no decoder: words joined by spaces).
std::unique_ptr<capture::Tokenizer> wordTokenizer(const std::vector<std::string>& words) {
    nlohmann::json vocab = nlohmann::json::object();
    for (std::size_t i = 0; i < words.size(); ++i)
        vocab[words[i]] = i;
    nlohmann::json added = nlohmann::json::array();
    for (int i = 0; i < 3; ++i)
        added.push_back({{"id", i},
                         {"content", words[static_cast<std::size_t>(i)]},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", true}});
    const nlohmann::json bos = {{"SpecialToken", {{"id", "<bos>"}, {"type_id", 0}}}};
    const nlohmann::json seqA = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
    nlohmann::json doc = {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
        {"post_processor",
         {{"type", "TemplateProcessing"},
          {"single", {bos, seqA}},
          {"pair", {bos, seqA, {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
          {"special_tokens", {{"<bos>", {{"id", "<bos>"}, {"ids", {1}}, {"tokens", {"<bos>"}}}}}}}},
        {"decoder", nullptr},
        {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}}}};
    return capture::Tokenizer::fromTokenizerJsonString(doc.dump(), "word tokenizer");
}

TEST(NeedlePrompt, InsertsTheNeedleAfterAPeriodAndFindsItsSpan) {
    const std::vector<std::string> words = {"<unk>", "<bos>", "<eos>", ".", "the", "secret",
                                            "is",    "apple", "river", "a", "b",   "c",
                                            "d",     "e",     "f",     "g", "h"};
    const auto tok = wordTokenizer(words);
    NeedleCase nc;
    nc.needle = "the secret is apple river .";
    nc.question = "the secret is";
    nc.realNeedle = "apple river .";
    nc.haystack = "a b c . d e f . g h";
    nc.promptTemplate = "{context} . {question}";
    NeedlePromptOptions o;
    o.buffer = 0;
    // 16 tokens: the repeated haystack is cut to 16, then to 16 - 6 (needle) = 10 tokens; depth
    // 70% gives ip = 7, backed off to just after the period at index 3.
    const NeedleInstance inst = buildNeedleInstance(*tok, nc, 16, 70, o);
    const auto expected =
        tok->encode("a b c . the secret is apple river . d e f . g h . the secret is", true).ids;
    EXPECT_EQ(inst.ids, expected);
    EXPECT_EQ(inst.ids.front(), 1);
    EXPECT_EQ(inst.span.begin, 8);  // <bos> a b c . the secret is | apple river .
    EXPECT_EQ(inst.span.end, 11);
    EXPECT_EQ(inst.length, 16);
    EXPECT_EQ(inst.depth, 70);
    // Depth 100 appends the needle at the end of the context.
    const NeedleInstance end = buildNeedleInstance(*tok, nc, 16, 100, o);
    EXPECT_EQ(
        end.ids,
        tok->encode("a b c . d e f . g h the secret is apple river . . the secret is", true).ids);
    // The grid spans case x length x depth.
    EXPECT_EQ(buildNeedleGrid(*tok, {nc, nc}, {12, 16}, {0, 50, 100}, o).size(), 12u);
}

}  // namespace
}  // namespace attnscope::analysis
