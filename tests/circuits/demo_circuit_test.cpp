// The demo model's associative-recall circuit (issue 13 acceptance): the heads that retrieve
// the answer and the heads that feed them are in the EAP-IG circuit, which is faithful with few
// edges; EAP-IG agrees with exact edge patching. The retrieval heads are found here from the
// attention patterns, independently of the circuit code.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <set>

#include "attnscope/analysis/circuits/circuit_selection.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/app/opened_model.h"
#include "attnscope/capture/hook_registry.h"
#include "attnscope/capture/transformer_model.h"
#include "fixture_paths.h"

namespace attnscope::analysis::circuits {
namespace {

using Head = std::pair<int, int>;

class DemoCircuit : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_opened = new app::OpenedModel(
            app::openModel(attnscope::test::sourceDir() / "resources/models/demo"));
        s_pairs = new std::vector<PromptPair>(
            demoTaskPairs(s_opened->dir, "mqar", *s_opened->tokenizer, 24, 1));
        s_patcher = new EdgePatcher(*s_opened->model, *s_pairs);
        s_circuit = new Circuit(eapIg(*s_patcher, 5));
    }
    static void TearDownTestSuite() {
        delete s_circuit;
        delete s_patcher;
        delete s_pairs;
        delete s_opened;
    }

    // attention[layer][head][pair][query][key] of every clean prompt: mean over pairs of the
    // weight that `query(pair)` puts on `key(pair)`.
    template <typename Query, typename Key>
    static std::vector<std::vector<double>> meanAttention(Query query, Key key) {
        auto& model = *s_opened->model;
        const int L = static_cast<int>(model.config().nLayers);
        const int H = static_cast<int>(model.config().nHeads);
        std::vector<std::vector<double>> mean(L, std::vector<double>(H, 0.0));
        at::NoGradGuard noGrad;
        for (const PromptPair& p : *s_pairs) {
            capture::HookScope scope(model.hooks());
            for (int l = 0; l < L; ++l)
                scope.add("blocks." + std::to_string(l) + ".attn.hook_pattern",
                          [&, l](at::Tensor& a, const capture::HookContext&) {
                              for (int h = 0; h < H; ++h) {
                                  double sum = 0;
                                  int n = 0;
                                  for (int64_t q : query(p)) {
                                      sum += a[0][h][q][key(p, q)].template item<double>();
                                      ++n;
                                  }
                                  mean[l][h] += n ? sum / n / s_pairs->size() : 0.0;
                              }
                          });
            model.forward(at::tensor(p.clean, at::kLong).unsqueeze(0));
        }
        return mean;
    }

    static std::set<Head> headsAbove(const std::vector<std::vector<double>>& score, double min) {
        std::set<Head> heads;
        for (size_t l = 0; l < score.size(); ++l)
            for (size_t h = 0; h < score[l].size(); ++h)
                if (score[l][h] >= min) heads.insert({int(l), int(h)});
        return heads;
    }

    static app::OpenedModel* s_opened;
    static std::vector<PromptPair>* s_pairs;
    static EdgePatcher* s_patcher;
    static Circuit* s_circuit;
};

app::OpenedModel* DemoCircuit::s_opened = nullptr;
std::vector<PromptPair>* DemoCircuit::s_pairs = nullptr;
EdgePatcher* DemoCircuit::s_patcher = nullptr;
Circuit* DemoCircuit::s_circuit = nullptr;

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
            ++j;
        for (size_t k = i; k <= j; ++k)
            r[order[k]] = (i + j) / 2.0;
        i = j + 1;
    }
    return r;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    const auto ra = ranks(a), rb = ranks(b);
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
    const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

TEST_F(DemoCircuit, ContainsTheRetrievalHeadsAndTheHeadsFeedingThem) {
    const EdgeGraph& graph = s_patcher->graph();
    // Retrieval heads: at the last position, most attention on the answer in the context.
    const auto retrieval = meanAttention(
        [](const PromptPair& p) { return std::vector<int64_t>{int64_t(p.clean.size()) - 1}; },
        [](const PromptPair& p, int64_t) {
            return int64_t(std::find(p.clean.begin(), p.clean.end(), p.answer) - p.clean.begin());
        });
    const std::set<Head> retrievalHeads = headsAbove(retrieval, 0.5);
    // Previous-token heads: at every position of the key-value section, most attention on the
    // position before.
    const auto previous = meanAttention(
        [](const PromptPair& p) {
            std::vector<int64_t> q(p.clean.size() / 2);
            std::iota(q.begin(), q.end(), 1);
            return q;
        },
        [](const PromptPair&, int64_t q) { return q - 1; });
    const std::set<Head> previousHeads = headsAbove(previous, 0.5);
    for (size_t l = 0; l < retrieval.size(); ++l)
        for (size_t h = 0; h < retrieval[l].size(); ++h)
            std::cout << "a" << l << ".h" << h << " answer " << retrieval[l][h] << " previous "
                      << previous[l][h] << "\n";
    ASSERT_FALSE(retrievalHeads.empty());
    ASSERT_FALSE(previousHeads.empty());
    for (const Head& h : retrievalHeads)
        EXPECT_EQ(h.first, 2) << "retrieval head a" << h.first << ".h" << h.second;

    const int64_t budget = edgesForFraction(graph, 0.10);
    const auto kept = selectTopEdges(graph, s_circuit->scores, budget, true);
    const double faithfulness = s_patcher->faithfulness(s_patcher->evaluate(kept));
    std::cout << "faithfulness " << faithfulness << " with " << budget << " of "
              << graph.edgeCount() << " edges\n";
    EXPECT_GE(faithfulness, 0.8);

    // Every retrieval head is in the circuit, with a previous-token head feeding its k input.
    for (const Head& r : retrievalHeads) {
        bool out = false, fed = false;
        const int node = graph.headNode(r.first, r.second);
        for (int64_t e = 0; e < graph.edgeCount(); ++e) {
            if (!kept[size_t(e)]) continue;
            out = out || graph.edgeSender(e) == node;
            const ReceiverInput& in = graph.receivers()[size_t(graph.edgeReceiver(e))];
            const GraphNode& sender = graph.nodes()[size_t(graph.edgeSender(e))];
            fed = fed || (in.port == Port::K && in.layer == r.first && in.index == r.second &&
                          sender.kind == NodeKind::Head &&
                          previousHeads.count({sender.layer, sender.head}));
        }
        for (int64_t e = 0; e < graph.edgeCount(); ++e)
            if (kept[size_t(e)] && graph.receivers()[size_t(graph.edgeReceiver(e))].node == node)
                std::printf("kept %s %g\n", graph.edgeName(e).c_str(),
                            s_circuit->scores[size_t(e)]);
        EXPECT_TRUE(out) << "a" << r.first << ".h" << r.second << " sends no kept edge";
        EXPECT_TRUE(fed) << "no previous-token head feeds a" << r.first << ".h" << r.second
                         << "<k>";
    }
}

TEST_F(DemoCircuit, EapIgAgreesWithExactEdgePatching) {
    const EdgeGraph& graph = s_patcher->graph();
    const auto& scores = s_circuit->scores;
    std::vector<int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return std::fabs(scores[size_t(a)]) > std::fabs(scores[size_t(b)]);
    });
    order.resize(200);
    // The exact effect of removing one edge from the full model: the change of −logit diff.
    std::vector<uint8_t> kept(size_t(graph.edgeCount()), 1);
    std::vector<double> attributed, exact;
    for (int64_t e : order) {
        kept[size_t(e)] = 0;
        exact.push_back(s_patcher->fullModel() - s_patcher->evaluate(kept));
        kept[size_t(e)] = 1;
        attributed.push_back(scores[size_t(e)]);
    }
    for (size_t i = 0; i < 200; i += 5)
        std::printf("%s %g %g\n", graph.edgeName(order[i]).c_str(), attributed[i], exact[i]);
    const double rho = spearman(attributed, exact);
    std::cout << "Spearman over the top 200 edges: " << rho << "\n";
    EXPECT_GE(rho, 0.8);
}

}  // namespace
}  // namespace attnscope::analysis::circuits
