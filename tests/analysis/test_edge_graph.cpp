// The circuit edge graph against an independent enumeration of spec 6.6's connection rule.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "attnscope/analysis/circuits/edge_graph.h"

using namespace attnscope::analysis::circuits;

namespace {

// Spec 6.6 restated: a sender feeds a receiver iff it writes to the residual stream before the
// receiver reads it. Positions in "time": input 0; layer l's heads 2l+1, its MLP 2l+2; logits
// read last. A head reads at 2l+1, an MLP at 2l+2.
int64_t bruteForceEdges(const EdgeGraph& g, std::set<std::string>* names) {
    auto writes = [](const GraphNode& n) {
        return n.kind == NodeKind::Input  ? 0
               : n.kind == NodeKind::Head ? 2 * n.layer + 1
                                          : 2 * n.layer + 2;
    };
    int64_t count = 0;
    for (const ReceiverInput& r : g.receivers()) {
        const GraphNode& owner = g.nodes()[r.node];
        const int reads = owner.kind == NodeKind::Logits ? 1 << 30
                          : owner.kind == NodeKind::Head ? 2 * owner.layer + 1
                                                         : 2 * owner.layer + 2;
        for (size_t s = 0; s < g.nodes().size(); ++s) {
            const GraphNode& sender = g.nodes()[s];
            if (sender.kind == NodeKind::Logits || writes(sender) >= reads) continue;
            ++count;
            if (names)
                names->insert(g.nodeName(static_cast<int>(s)) + "->" +
                              g.receiverName(static_cast<int>(&r - &g.receivers()[0])));
        }
    }
    return count;
}

}  // namespace

TEST(EdgeGraph, CountsMatchThePublishedGraphSizes) {
    // MIB's GPT-2 small graph and Llama-3-8B with its GQA ungrouped (spec 6.6).
    EXPECT_EQ(EdgeGraph(12, 12, 12).edgeCount(), 32491);
    EXPECT_EQ(EdgeGraph::countEdges(12, 12, 12), 32491);
    EXPECT_EQ(EdgeGraph::countEdges(32, 32, 32), 1592881);
    EXPECT_EQ(EdgeGraph(32, 32, 32).edgeCount(), 1592881);
}

TEST(EdgeGraph, EdgesFollowTheResidualOrderIncludingGroupedKv) {
    for (auto [layers, heads, kv] :
         {std::tuple{2, 4, 4}, std::tuple{3, 4, 2}, std::tuple{4, 8, 1}, std::tuple{32, 32, 8}}) {
        const EdgeGraph g(layers, heads, kv);
        std::set<std::string> expected;
        const int64_t count = bruteForceEdges(g, layers < 10 ? &expected : nullptr);
        EXPECT_EQ(g.edgeCount(), count);
        EXPECT_EQ(EdgeGraph::countEdges(layers, heads, kv), count);
        EXPECT_EQ(g.receivers().size(), size_t(layers * (heads + 2 * kv + 1) + 1));
        if (layers >= 10) continue;
        std::set<std::string> actual;
        for (int64_t e = 0; e < g.edgeCount(); ++e) {
            const std::string name = g.edgeName(e);
            actual.insert(name);
            EXPECT_EQ(g.edgeIndex(std::string_view(name)), e) << name;
        }
        EXPECT_EQ(actual, expected);
    }
}

TEST(EdgeGraph, NamesFollowEapIg) {
    const EdgeGraph g(3, 4, 4);
    EXPECT_GE(g.edgeIndex(std::string_view("a0.h3->a2.h1<q>")), 0);
    EXPECT_GE(g.edgeIndex(std::string_view("input->m0")), 0);
    EXPECT_GE(g.edgeIndex(std::string_view("a2.h3->m2")), 0);  // attention runs before the MLP
    EXPECT_GE(g.edgeIndex(std::string_view("m2->logits")), 0);
    EXPECT_EQ(g.edgeIndex(std::string_view("a2.h0->a2.h1<q>")), -1);  // same layer
    EXPECT_EQ(g.edgeIndex(std::string_view("m0->m0")), -1);
    EXPECT_EQ(g.edgeIndex(std::string_view("a0.h4->logits")), -1);     // head out of range
    EXPECT_EQ(g.edgeIndex(std::string_view("a0.h1->a1.kv0<k>")), -1);  // not grouped
    EXPECT_EQ(g.edgeIndex(std::string_view("a0.h1-a1.h0<k>")), -1);
    EXPECT_EQ(g.edgeIndex(std::string_view("logits->m2")), -1);

    const EdgeGraph gqa(3, 4, 2);
    EXPECT_TRUE(gqa.grouped());
    EXPECT_EQ(gqa.receiverName(gqa.kReceiver(2, 1)), "a2.kv1<k>");
    EXPECT_EQ(gqa.receiverName(gqa.qReceiver(2, 1)), "a2.h1<q>");
    EXPECT_GE(gqa.edgeIndex(std::string_view("a0.h3->a2.kv1<v>")), 0);
    EXPECT_EQ(gqa.edgeIndex(std::string_view("a0.h3->a2.h1<v>")), -1);
    EXPECT_EQ(gqa.edgeIndex(std::string_view("a0.h3->a2.kv2<v>")), -1);
    EXPECT_EQ(gqa.nodes()[gqa.receivers()[gqa.vReceiver(1, 1)].node].head, 2);
}

TEST(EdgeGraph, RejectsImpossibleShapes) {
    EXPECT_THROW(EdgeGraph(0, 4, 4), std::invalid_argument);
    EXPECT_THROW(EdgeGraph(2, 4, 3), std::invalid_argument);
    EXPECT_THROW(EdgeGraph(2, 0, 0), std::invalid_argument);
}
