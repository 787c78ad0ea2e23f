// The example plugins (plugins/scripts) through the host, against the same quantities computed
// here in C++: TransformerLens's head detector scores, attention entropy, the temperature edit.
#include <cmath>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/tokenizer.h"
#include "attnscope/plugins/plugin_edit.h"
#include "plugin_test_support.h"

namespace attnscope::test {
namespace {

using Matrix = std::vector<std::vector<double>>;

Matrix zeros(std::size_t n) {
    return Matrix(n, std::vector<double>(n, 0.0));
}

// TransformerLens head_detector.py's detection patterns, written out element by element.
Matrix previousTokenPattern(const std::vector<int64_t>& ids) {
    Matrix d = zeros(ids.size());
    for (std::size_t q = 1; q < ids.size(); ++q)
        d[q][q - 1] = 1;
    return d;
}

Matrix duplicateTokenPattern(const std::vector<int64_t>& ids) {
    Matrix d = zeros(ids.size());
    for (std::size_t q = 0; q < ids.size(); ++q)
        for (std::size_t k = 0; k < q; ++k)
            d[q][k] = ids[q] == ids[k] ? 1 : 0;
    return d;
}

Matrix inductionPattern(const std::vector<int64_t>& ids) {
    // The duplicate pattern shifted one key to the right, column 0 cleared, lower triangle.
    const Matrix dup = duplicateTokenPattern(ids);
    Matrix d = zeros(ids.size());
    for (std::size_t q = 0; q < ids.size(); ++q)
        for (std::size_t k = 1; k <= q; ++k)
            d[q][k] = dup[q][k - 1];
    return d;
}

struct Options {
    bool excludeBos = false;
    bool excludeCurrent = false;
    bool abs = false;
};

double detectorScore(const at::Tensor& map, const Matrix& d, const Options& o) {
    const int64_t n = map.size(0);
    const auto a = map.accessor<double, 2>();
    double num = 0, den = 0, err = 0;
    for (int64_t q = 0; q < n; ++q)
        for (int64_t k = 0; k < n; ++k) {
            const bool excluded = (o.excludeBos && k == 0) || (o.excludeCurrent && q == k);
            const double v = excluded ? 0.0 : a[q][k];
            num += v * d[q][k];
            den += v;
            if (!excluded) err += std::abs(a[q][k] - d[q][k]);
        }
    if (o.abs) return 1.0 - std::round(err / double(n) * 1000.0) / 1000.0;
    return num / den;
}

std::map<std::string, std::string> paramsOf(const Options& o) {
    return {{"exclude_bos", o.excludeBos ? "true" : "false"},
            {"exclude_current_token", o.excludeCurrent ? "true" : "false"},
            {"error_measure", o.abs ? "abs" : "mul"}};
}

class ExamplePlugins : public ::testing::Test {
protected:
    void SetUp() override {
        const auto records =
            plugins::PluginHost::instance().load({plugins::bundledPluginDir()}, m_registry);
        for (const auto& r : records)
            ASSERT_TRUE(r.loaded) << r.error;
    }

    // Every head-detector metric and option set on one prompt, against the C++ scores.
    void expectDetectorScores(const app::OpenedModel& opened, const std::vector<int64_t>& ids) {
        const auto patterns = capturePatterns(*opened.model, ids);
        const analysis::Dataset data = idsDataset(ids);
        const std::pair<const char*, Matrix> kinds[] = {
            {"plugin:previous_token", previousTokenPattern(ids)},
            {"plugin:duplicate_token", duplicateTokenPattern(ids)},
            {"plugin:induction", inductionPattern(ids)}};
        const Options optionSets[] = {{},
                                      {true, false, false},
                                      {true, true, false},
                                      {false, false, true},
                                      {true, true, true}};
        for (const auto& [metric, detection] : kinds)
            for (const Options& o : optionSets) {
                const auto r = runOn(m_registry, metric, opened, data, paramsOf(o));
                for (int l = 0; l < r.scores.layers; ++l)
                    for (int h = 0; h < r.scores.heads; ++h)
                        EXPECT_NEAR(r.scores.at(l, h), detectorScore(patterns[l][h], detection, o),
                                    1e-9)
                            << metric << " L" << l << "H" << h << " bos=" << o.excludeBos
                            << " current=" << o.excludeCurrent << " abs=" << o.abs;
            }
    }

    analysis::MetricRegistry m_registry;
};

std::vector<int64_t> demoIds(const app::OpenedModel& opened) {
    return opened.tokenizer
        ->encode("alice apple bob river carol stone . carol stone alice apple bob")
        .ids;
}

// Random ids repeated: the second half is what induction heads predict.
std::vector<int64_t> repeatedIds(int64_t vocab, int half) {
    at::manual_seed(7);
    const at::Tensor t = at::randint(0, vocab, {half}, at::TensorOptions().dtype(at::kLong));
    std::vector<int64_t> ids(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + half);
    ids.insert(ids.end(), ids.begin(), ids.end());
    return ids;
}

TEST_F(ExamplePlugins, HeadDetectorMatchesTransformerLensDefinitionsOnTheDemoModel) {
    const auto opened = app::openModel(demoModelDir());
    expectDetectorScores(opened, demoIds(opened));
}

TEST_F(ExamplePlugins, HeadDetectorMatchesTransformerLensDefinitionsOnGpt2Tiny) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2TinyDir());
    const auto opened = app::openModel(gpt2TinyDir());
    expectDetectorScores(opened, repeatedIds(opened.model->config().vocabSize, 10));
}

TEST_F(ExamplePlugins, DatasetScoreIsTheMeanOverItems) {
    const auto opened = app::openModel(demoModelDir());
    const std::vector<int64_t> a = demoIds(opened), b(a.begin(), a.begin() + 7);
    analysis::Dataset both = idsDataset(a);
    both.items.push_back(idsDataset(b).items[0]);
    const auto ra = runOn(m_registry, "plugin:induction", opened, idsDataset(a));
    const auto rb = runOn(m_registry, "plugin:induction", opened, idsDataset(b));
    const auto r = runOn(m_registry, "plugin:induction", opened, both);
    for (int i = 0; i < r.scores.size(); ++i)
        EXPECT_NEAR(r.scores.values[i], (ra.scores.values[i] + rb.scores.values[i]) / 2, 1e-12);
    EXPECT_EQ(r.details["per_item"].size(), 2u);
}

double rowEntropyMean(const at::Tensor& map, bool normalize) {
    const auto a = map.accessor<double, 2>();
    double total = 0;
    for (int64_t q = 0; q < map.size(0); ++q) {
        double h = 0;
        for (int64_t k = 0; k < map.size(1); ++k)
            if (a[q][k] > 0) h -= a[q][k] * std::log(a[q][k]);
        if (normalize) h = q > 0 ? h / std::log(double(q + 1)) : 0.0;
        total += h;
    }
    return total / double(map.size(0));
}

void expectEntropy(const analysis::MetricRegistry& registry, const app::OpenedModel& opened,
                   const std::vector<int64_t>& ids) {
    const auto patterns = capturePatterns(*opened.model, ids);
    for (const bool normalize : {false, true}) {
        const auto r = runOn(registry, "plugin:attention_entropy", opened, idsDataset(ids),
                             {{"normalize", normalize ? "true" : "false"}});
        for (int l = 0; l < r.scores.layers; ++l)
            for (int h = 0; h < r.scores.heads; ++h)
                EXPECT_NEAR(r.scores.at(l, h), rowEntropyMean(patterns[l][h], normalize), 1e-9)
                    << "L" << l << "H" << h << " normalize=" << normalize;
        EXPECT_EQ(r.details["plugin_details"][0]["tokens"], ids.size());
    }
}

TEST_F(ExamplePlugins, AttentionEntropyMatchesCppOnTheDemoModel) {
    const auto opened = app::openModel(demoModelDir());
    expectEntropy(m_registry, opened, demoIds(opened));
}

TEST_F(ExamplePlugins, AttentionEntropyMatchesCppOnGpt2Tiny) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2TinyDir());
    const auto opened = app::openModel(gpt2TinyDir());
    expectEntropy(m_registry, opened, repeatedIds(opened.model->config().vocabSize, 9));
}

TEST_F(ExamplePlugins, TemperatureEditReplacesOneHeadsPatternDuringTheForward) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2TinyDir());
    const auto opened = app::openModel(gpt2TinyDir());
    auto& model = *opened.model;
    const std::vector<int64_t> ids = repeatedIds(model.config().vocabSize, 8);
    const at::Tensor row = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
    const auto before = capturePatterns(model, ids);
    at::NoGradGuard noGrad;
    const at::Tensor plainLogits = model.forward(row);
    capture::ActivationCache cache;
    at::Tensor editedLogits;
    {
        capture::HookScope scope(model.hooks());
        capture::applyInterventions(
            scope, model,
            {plugins::pluginPatternEdit("plugin:temperature", 1, {2}, {{"temperature", "3"}})});
        capture::CaptureSpec spec;
        spec.hooks = {"blocks.1.attn.hook_pattern"};
        capture::attachCapture(scope, model.hooks(), spec, cache);  // sees the edited map
        editedLogits = model.forward(row);
    }
    const at::Tensor after = cache.get("blocks.1.attn.hook_pattern")[0].to(at::kDouble);
    const at::Tensor p = before[1][2];
    // softmax(log p / T) over each row; masked (zero) weights stay zero.
    const at::Tensor expected = at::softmax(at::log(p) / 3.0, -1);
    EXPECT_TRUE(at::allclose(after[2], expected, 1e-5, 1e-6));
    for (int h : {0, 1, 3})
        EXPECT_TRUE(at::equal(after[h], before[1][h].to(at::kDouble))) << "head " << h;
    EXPECT_GT((editedLogits - plainLogits).abs().max().item<double>(), 1e-4);
    // Without the scope the model is plain again.
    EXPECT_TRUE(at::equal(model.forward(row), plainLogits));
}

TEST_F(ExamplePlugins, EditsAreListedWithTheirParameters) {
    const auto edits = plugins::PluginHost::instance().edits();
    ASSERT_EQ(edits.size(), 1u);
    EXPECT_EQ(edits[0].name, "plugin:temperature");
    ASSERT_EQ(edits[0].params.size(), 1u);
    EXPECT_EQ(edits[0].params[0].defaultValue, "2.0");
    ASSERT_TRUE(edits[0].params[0].minimum.has_value());
    EXPECT_DOUBLE_EQ(*edits[0].params[0].minimum, 0.01);
    // below its declared minimum; an edit nobody declared
    EXPECT_THROW(plugins::pluginPatternEdit("plugin:temperature", 0, {0}, {{"temperature", "0"}}),
                 capture::InputError);
    EXPECT_THROW(plugins::pluginPatternEdit("plugin:nonexistent", 0, {0}, {}), capture::InputError);
}

}  // namespace
}  // namespace attnscope::test
