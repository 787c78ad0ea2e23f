// The remove_edge edit: its JSON form round-trips, errors name the key, and it neither trips
// the head range checks nor becomes a runtime intervention.
#include <gtest/gtest.h>

#include "attnscope/app/edit.h"
#include "attnscope/app/edit_interventions.h"
#include "attnscope/capture/load_error.h"

namespace attnscope::app {
namespace {

TEST(EdgeEdit, RoundTripsThroughJson) {
    EditList edits{{EditKind::ZeroAblation, 1, 2, 0.0, true, "head"},
                   {EditKind::RemoveEdge, 0, 0, 0.0, false, "cut", "a0.h3->a2.h1<q>"}};
    const std::string text = editsToJson(edits);
    EXPECT_NE(text.find("\"edge\":\"a0.h3->a2.h1<q>\""), std::string::npos) << text;
    // Only the edge edit carries the key: files of head edits are written as before.
    EXPECT_EQ(text.find("\"edge\""), text.rfind("\"edge\"")) << text;
    EXPECT_EQ(editsFromJson(text, "t.json"), edits);
}

TEST(EdgeEdit, NeedsNoLayerOrHead) {
    const EditList edits =
        editsFromJson(R"([{"kind": "remove_edge", "edge": "input->logits"}])", "t.json");
    ASSERT_EQ(edits.size(), 1u);
    EXPECT_EQ(edits[0].kind, EditKind::RemoveEdge);
    EXPECT_EQ(edits[0].edge, "input->logits");
    EXPECT_TRUE(edits[0].enabled);
    EXPECT_EQ(removedEdges(edits), std::vector<std::string>{"input->logits"});
    EXPECT_NO_THROW(checkEdits(edits, 1, 1, "t.json"));  // no head to range-check
}

TEST(EdgeEdit, ErrorsNameTheKey) {
    auto message = [](const std::string& text) {
        try {
            editsFromJson(text, "e.json");
        } catch (const capture::InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message(R"([{"kind": "remove_edge"}])"),
              "e.json: [0].edge: missing (remove_edge names an edge)");
    EXPECT_NE(message(R"([{"kind": "remove_edge", "edge": 3}])").find("e.json: [0].edge: expected"),
              std::string::npos);
    EXPECT_EQ(
        message(R"([{"kind": "zero_ablation", "layer": 0, "head": 0, "edge": "m0->logits"}])"),
        "e.json: [0].edge: only remove_edge edits name an edge");
    EXPECT_NE(message(R"([{"kind": "remove_edge", "edge": "m0->logits", "layer": "x"}])")
                  .find("[0].layer: expected an integer"),
              std::string::npos);
}

TEST(EdgeEdit, DisabledEdgesAreNotRemoved) {
    const EditList edits{{EditKind::RemoveEdge, 0, 0, 0.0, false, "", "m0->logits"},
                         {EditKind::RemoveEdge, 0, 0, 0.0, true, "", "input->m0"}};
    EXPECT_EQ(removedEdges(edits), std::vector<std::string>{"input->m0"});
}

TEST(EdgeEdit, IsNoRuntimeIntervention) {
    const EditList edits{{EditKind::RemoveEdge, 0, 0, 0.0, true, "", "input->logits"},
                         {EditKind::ZeroAblation, 0, 1, 0.0, true, ""}};
    const auto interventions = toInterventions(edits, 2, 2, 4, nullptr, 0);
    EXPECT_EQ(interventions.size(), 1u);
}

}  // namespace
}  // namespace attnscope::app
