// The plugin_edit edit kind in app/core, through the attention-edit seam without Python: its
// JSON form round-trips, checkEdits names the key of an unknown edit or a bad parameter, and
// toInterventions turns it into the provider's pattern edit. The provider here is a small C++
// edit (rows replaced by a uniform causal distribution), installed as the plugin host would.
#include <gtest/gtest.h>

#include "attnscope/analysis/attention_edits.h"
#include "attnscope/app/edit.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/load_error.h"

namespace attnscope::app {
namespace {

class UniformEdit : public analysis::AttentionEditProvider {
public:
    std::vector<analysis::AttentionEditInfo> edits() const override {
        analysis::ParamSpec weight{"weight", analysis::ParamType::Real, "1.0", "mix"};
        weight.minimum = 0.0;
        weight.maximum = 1.0;
        return {{"plugin:uniform", "Uniform", "rows become uniform", {weight}}};
    }
    capture::PatternEdit make(const std::string& name, int64_t layer, std::vector<int64_t> heads,
                              const std::map<std::string, std::string>& params) const override {
        const double w = analysis::MetricParams(edits()[0].params, params).real("weight");
        capture::PatternEdit e;
        e.layer = layer;
        e.heads = std::move(heads);
        e.description = name;
        e.edit = [w](const at::Tensor& p, int64_t, int64_t) {
            const at::Tensor uniform = at::tril(at::ones_like(p));
            return (1 - w) * p + w * uniform / uniform.sum(-1, true);
        };
        return e;
    }
};

class PluginEditTest : public ::testing::Test {
protected:
    void SetUp() override { analysis::setAttentionEditProvider(std::make_shared<UniformEdit>()); }
    void TearDown() override { analysis::setAttentionEditProvider(nullptr); }

    static std::string checkMessage(const std::string& json) {
        try {
            checkEdits(editsFromJson(json, "e.json"), 2, 4, "e.json");
        } catch (const capture::InputError& e) {
            return e.what();
        }
        return "no error";
    }
};

TEST_F(PluginEditTest, RoundTripsThroughJsonWithItsParameters) {
    const EditList edits = editsFromJson(
        R"([{"kind": "plugin_edit", "plugin": "uniform", "layer": 1, "head": 3,
             "params": {"weight": 0.5, "flag": true, "mode": "a"}}])",
        "t.json");
    ASSERT_EQ(edits.size(), 1u);
    EXPECT_EQ(edits[0].kind, EditKind::PluginEdit);
    EXPECT_EQ(edits[0].plugin, "uniform");
    const std::map<std::string, std::string> expected{
        {"weight", "0.5"}, {"flag", "true"}, {"mode", "a"}};
    EXPECT_EQ(edits[0].params, expected);
    EXPECT_EQ(editsFromJson(editsToJson(edits), "again.json"), edits);
}

TEST_F(PluginEditTest, ChecksNameTheKeyOfWhatIsWrong) {
    EXPECT_EQ(checkMessage(R"([{"kind": "plugin_edit", "plugin": "uniform", "layer": 0,
                                "head": 0, "params": {"weight": 0.25}}])"),
              "no error");
    EXPECT_EQ(checkMessage(R"([{"kind": "plugin_edit", "plugin": "blur", "layer": 0,
                                "head": 0}])"),
              "e.json: [0].plugin: unknown plugin edit 'plugin:blur' (loaded: plugin:uniform)");
    const std::string range = checkMessage(
        R"([{"kind": "plugin_edit", "plugin": "plugin:uniform", "layer": 0, "head": 0,
             "params": {"weight": 2}}])");
    EXPECT_EQ(range.rfind("e.json: [0].params: parameter 'weight'", 0), 0u) << range;
    const std::string unknown = checkMessage(
        R"([{"kind": "plugin_edit", "plugin": "uniform", "layer": 0, "head": 0,
             "params": {"wieght": 1}}])");
    EXPECT_EQ(unknown.rfind("e.json: [0].params: unknown parameter 'wieght'", 0), 0u) << unknown;
    analysis::setAttentionEditProvider(nullptr);
    EXPECT_NE(checkMessage(R"([{"kind": "plugin_edit", "plugin": "uniform", "layer": 0,
                                "head": 0}])")
                  .find("e.json: [0].plugin: plugin edit 'uniform': this program runs no plugins"),
              std::string::npos);
}

TEST_F(PluginEditTest, BecomesTheProvidersPatternEditOnItsHead) {
    const EditList edits{[] {
        Edit e{EditKind::PluginEdit, 1, 2, 0.0, true, ""};
        e.plugin = "uniform";
        e.params = {{"weight", "1"}};
        return e;
    }()};
    const auto interventions = toInterventions(edits, 2, 4, 3, nullptr, 0);
    ASSERT_EQ(interventions.size(), 1u);
    const auto* edit = std::get_if<capture::PatternEdit>(&interventions[0]);
    ASSERT_NE(edit, nullptr);
    EXPECT_EQ(edit->layer, 1);
    EXPECT_EQ(edit->heads, std::vector<int64_t>{2});
    EXPECT_EQ(edit->description, "plugin:uniform");
    const at::Tensor p =
        at::tensor({1.0f, 0.f, 0.f, 0.9f, 0.1f, 0.f, 0.2f, 0.3f, 0.5f}).view({3, 3});
    const at::Tensor out = edit->edit(p, 2, 0);
    EXPECT_TRUE(at::allclose(out[2], at::full({3}, 1.0f / 3)));
    EXPECT_TRUE(at::allclose(out[1], at::tensor({0.5f, 0.5f, 0.f})));
    // Disabled: nothing to apply.
    EditList off = edits;
    off[0].enabled = false;
    EXPECT_TRUE(toInterventions(off, 2, 4, 3, nullptr, 0).empty());
}

}  // namespace
}  // namespace attnscope::app
