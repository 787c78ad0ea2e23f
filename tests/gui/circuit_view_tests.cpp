// The circuit explorer's views without a model: ranking and the amount control, the layout,
// the pick index against a scan, the graph view's budget, bundles, picking, pin/hide,
// comparison and exports, and the faithfulness curve's clicks.
#include "attnscope/ui/circuit_edge_index.h"
#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_layout.h"
#include "attnscope/ui/circuit_ranking.h"
#include "attnscope/ui/faithfulness_curve_plot.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace attnscope::ui;
namespace circuits = attnscope::analysis::circuits;

namespace {

// A circuit over a (layers, heads, kvHeads) graph with seeded scores of both signs.
std::shared_ptr<Circuit> syntheticCircuit(int layers, int heads, int kvHeads, uint32_t seed,
                                          int64_t kept = 0) {
    auto c = std::make_shared<Circuit>();
    c->graph = circuits::EdgeGraph(layers, heads, kvHeads);
    c->method = "eap-ig";
    c->metric = "logit-diff";
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    c->scores.resize(static_cast<size_t>(c->graph.edgeCount()));
    for (float& s : c->scores)
        s = normal(rng);
    c->inCircuit.assign(c->scores.size(), 0);
    // Its own selection: the `kept` largest |score|, computed here independently of the ranking.
    std::vector<int64_t> order(c->scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return std::abs(c->scores[a]) > std::abs(c->scores[b]);
    });
    for (int64_t i = 0; i < kept; ++i)
        c->inCircuit[static_cast<size_t>(order[static_cast<size_t>(i)])] = 1;
    return c;
}

int64_t count(const std::vector<uint8_t>& mask) {
    return std::count(mask.begin(), mask.end(), 1);
}

}  // namespace

TEST(CircuitRanking, OrdersByMagnitudeAndSelectsInEveryMode) {
    auto c = std::make_shared<Circuit>();
    c->graph = circuits::EdgeGraph(1, 1, 1);  // input, a0.h0, m0, logits: 8 edges
    ASSERT_EQ(c->graph.edgeCount(), 8);
    c->scores = {0.5f, -2.0f, 1.0f, NAN, 0.25f, -0.75f, 3.0f, 0.1f};
    const auto r = rankCircuit(c);
    EXPECT_EQ(r->order, (std::vector<int64_t>{6, 1, 2, 5, 0, 4, 7, 3}));  // NaN last; ties by index
    for (int64_t i = 0; i < 8; ++i)
        EXPECT_EQ(r->rank[static_cast<size_t>(r->order[static_cast<size_t>(i)])], i);
    EXPECT_DOUBLE_EQ(r->maxAbsScore, 3.0);

    EXPECT_EQ(selectedEdgeCount(*r, CircuitAmount::TopEdges, 4), 4);
    EXPECT_EQ(selectedEdgeCount(*r, CircuitAmount::TopEdges, 40), 8);
    EXPECT_EQ(selectedEdgeCount(*r, CircuitAmount::Percent, 100.0 / 3), 3);
    EXPECT_EQ(selectedEdgeCount(*r, CircuitAmount::Threshold, 0.75), 4);  // 3, 2, 1, 0.75
    EXPECT_EQ(selectedEdgeCount(*r, CircuitAmount::Threshold, 0.0), 7);   // all but NaN
    for (CircuitAmount mode :
         {CircuitAmount::TopEdges, CircuitAmount::Percent, CircuitAmount::Threshold})
        for (int64_t n : {0, 1, 3, 5})
            EXPECT_EQ(selectedEdgeCount(*r, mode, amountForEdgeCount(*r, mode, n)), n);

    const auto mask = topEdgesMask(*r, 3, {1});
    EXPECT_EQ(mask, (std::vector<uint8_t>{0, 0, 1, 0, 0, 0, 1, 0}));

    const auto signedRank = rankCircuit(c, false);
    EXPECT_EQ(signedRank->order.front(), 6);
    EXPECT_EQ(signedRank->order[7], 3);  // NaN still last
    EXPECT_EQ(signedRank->order[6], 1);  // the most negative before it
}

TEST(CircuitRanking, NodeScoresSumTheEdgesTouchingEachNode) {
    const auto c = syntheticCircuit(2, 2, 1, 3);
    const auto r = rankCircuit(c);
    std::vector<double> expected(c->graph.nodes().size(), 0.0);
    for (int64_t e = 0; e < c->graph.edgeCount(); ++e) {
        const double s = std::abs(c->scores[static_cast<size_t>(e)]);
        expected[static_cast<size_t>(c->graph.edgeSender(e))] += s;
        expected[static_cast<size_t>(
            c->graph.receivers()[static_cast<size_t>(c->graph.edgeReceiver(e))].node)] += s;
    }
    for (size_t n = 0; n < expected.size(); ++n)
        EXPECT_NEAR(r->nodeScore[n], expected[n], 1e-4) << n;
    const auto best = std::max_element(expected.begin(), expected.end()) - expected.begin();
    EXPECT_EQ(r->nodeRank[static_cast<size_t>(best)], 0);
}

TEST(CircuitLayout, RowsFromInputToLogitsHeadsInAtlasOrderPortsUnderTheirHeads) {
    const circuits::EdgeGraph g(3, 4, 4);
    const CircuitLayout layout(g);
    const double inputY = layout.nodeRect(g.inputNode()).center().y();
    const double logitsY = layout.nodeRect(g.logitsNode()).center().y();
    EXPECT_GT(inputY, logitsY);  // input at the bottom (screen y grows downwards)
    for (int l = 0; l < 3; ++l) {
        const double y = layout.nodeRect(g.headNode(l, 0)).center().y();
        EXPECT_LT(y, inputY);
        EXPECT_GT(y, logitsY);
        if (l > 0) {
            EXPECT_LT(y, layout.nodeRect(g.headNode(l - 1, 0)).center().y());
        }
        for (int h = 1; h < 4; ++h)
            EXPECT_GT(layout.nodeRect(g.headNode(l, h)).left(),
                      layout.nodeRect(g.headNode(l, h - 1)).right());
        // The MLP beside the heads, above them: its own layer's heads feed it upwards.
        EXPECT_GT(layout.nodeRect(g.mlpNode(l)).left(), layout.nodeRect(g.headNode(l, 3)).right());
        EXPECT_LT(layout.nodeRect(g.mlpNode(l)).bottom(), layout.nodeRect(g.headNode(l, 0)).top());
    }
    for (int r = 0; r < static_cast<int>(g.receivers().size()); ++r) {
        const auto& in = g.receivers()[static_cast<size_t>(r)];
        const QRectF box = layout.nodeRect(in.node);
        const QPointF p = layout.receiverPoint(r);
        EXPECT_DOUBLE_EQ(p.y(), box.bottom());
        EXPECT_GE(p.x(), box.left());
        EXPECT_LE(p.x(), box.right());
    }
    // Distinct q, k and v ports of one head.
    const QPointF q = layout.receiverPoint(g.qReceiver(1, 2));
    const QPointF k = layout.receiverPoint(g.kReceiver(1, 2));
    const QPointF v = layout.receiverPoint(g.vReceiver(1, 2));
    EXPECT_LT(q.x(), k.x());
    EXPECT_LT(k.x(), v.x());
    for (int n = 0; n < static_cast<int>(g.nodes().size()); ++n)
        EXPECT_EQ(layout.nodeAt(layout.nodeRect(n).center()), n) << n;
    EXPECT_EQ(layout.nodeAt(QPointF(-100, -100)), -1);
}

TEST(CircuitLayout, GroupedQueryAttentionSharesKAndVPortsPerKvHead) {
    const circuits::EdgeGraph g(2, 8, 2);
    const CircuitLayout layout(g);
    for (int kv = 0; kv < 2; ++kv) {
        const QRectF bar = layout.kvBar(1, kv);
        ASSERT_FALSE(bar.isEmpty());
        // The bar spans its group's four heads and lies below them.
        EXPECT_DOUBLE_EQ(bar.left(), layout.nodeRect(g.headNode(1, kv * 4)).left());
        EXPECT_DOUBLE_EQ(bar.right(), layout.nodeRect(g.headNode(1, kv * 4 + 3)).right());
        EXPECT_GT(bar.top(), layout.nodeRect(g.headNode(1, 0)).bottom());
        for (int r : {g.kReceiver(1, kv), g.vReceiver(1, kv)})
            EXPECT_TRUE(bar.adjusted(-0.01, -0.01, 0.01, 0.01).contains(layout.receiverPoint(r)));
    }
    EXPECT_TRUE(CircuitLayout(circuits::EdgeGraph(2, 8, 8)).kvBar(1, 0).isEmpty());
}

TEST(SegmentGrid, FindsWhatAScanOfEverySegmentFinds) {
    const QRectF bounds(0, 0, 1000, 600);
    SegmentGrid grid(bounds, 32);
    std::vector<QLineF> segments;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> x(0, 1000), y(0, 600);
    for (int i = 0; i < 2000; ++i) {
        segments.emplace_back(x(rng), y(rng), x(rng), y(rng));
        grid.insert(1000 + i, segments.back());
    }
    for (double radius : {2.0, 5.0, 40.0})
        for (int q = 0; q < 400; ++q) {
            const QPointF p(x(rng), y(rng));
            double best = radius;
            int64_t expected = -1;
            for (size_t i = 0; i < segments.size(); ++i) {
                const double d = distanceToSegment(p, segments[i]);
                if (d < best) {
                    best = d;
                    expected = 1000 + static_cast<int64_t>(i);
                }
            }
            const int64_t found = grid.nearest(p, radius);
            if (expected < 0) {
                EXPECT_EQ(found, -1);
            } else {
                ASSERT_GE(found, 0);
                // Equal distance (a tie) is as good as the scan's answer.
                EXPECT_NEAR(distanceToSegment(p, segments[static_cast<size_t>(found - 1000)]), best,
                            1e-9);
            }
        }
}

TEST(CircuitGraphView, DrawsTheBudgetAndBundlesTheRestOfAGpt2SizedGraph) {
    auto c = syntheticCircuit(12, 12, 12, 11);
    ASSERT_EQ(c->graph.edgeCount(), 32491);
    c->inCircuit.assign(c->scores.size(), 1);
    CircuitGraphView view;
    view.resize(900, 700);
    view.setEdgeBudget(1000);
    view.setRanking(rankCircuit(c));
    EXPECT_EQ(view.drawnEdgeCount(), 1000);
    EXPECT_EQ(view.bundledEdgeCount(), 32491 - 1000);
    // Zoomed in on the top-left corner: only edges that cross the view are drawn, the rest
    // (off-screen or past the budget) stay in the bundles.
    view.zoomBy(8.0, QPointF(0, 0));
    EXPECT_LE(view.drawnEdgeCount(), 1000);
    EXPECT_EQ(view.drawnEdgeCount() + view.bundledEdgeCount(), 32491);
    view.setEdgeBudget(0);
    EXPECT_EQ(view.drawnEdgeCount(), 0);
    EXPECT_EQ(view.bundledEdgeCount(), 32491);
    // The image is painted (a grab renders it) and shows the legend's normalisation.
    EXPECT_FALSE(view.grab().isNull());
    EXPECT_NE(view.legendText().indexOf(QStringLiteral("max |score|")), -1);
}

TEST(CircuitGraphView, ClicksPickEdgesAndNodesAndHoverDescribesThem) {
    auto c = syntheticCircuit(2, 2, 2, 5, 6);
    CircuitGraphView view;
    view.resize(800, 600);
    view.setRanking(rankCircuit(c));
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    QSignalSpy edges(&view, &CircuitGraphView::edgeClicked);
    QSignalSpy heads(&view, &CircuitGraphView::headClicked);
    int picked = 0;
    for (int64_t e = 0; e < c->graph.edgeCount(); ++e) {
        if (!c->inCircuit[static_cast<size_t>(e)]) continue;
        const QPointF mid = view.edgeMidpoint(e).toPoint();  // where a click lands
        if (view.nodeAtScreen(mid) >= 0) continue;           // a box covers this midpoint
        const int64_t at = view.edgeAtScreen(mid);
        if (at != e) {
            // Another drawn edge passes through the same point: it must be as near.
            ASSERT_GE(at, 0);
            continue;
        }
        QTest::mouseClick(&view, Qt::LeftButton, {}, mid.toPoint());
        ++picked;
        ASSERT_EQ(edges.count(), picked);
        EXPECT_EQ(edges.last().at(0).toLongLong(), e);
        const QString text = view.describeEdge(e);
        EXPECT_TRUE(text.startsWith(QString::fromStdString(c->graph.edgeName(e))))
            << text.toStdString();
        EXPECT_NE(text.indexOf(QStringLiteral("rank")), -1);
        EXPECT_NE(text.indexOf(QStringLiteral("effect when removed")), -1);
    }
    EXPECT_GT(picked, 2);
    // An edge outside the circuit is not drawn, so it cannot be picked.
    for (int64_t e = 0; e < c->graph.edgeCount(); ++e)
        if (!c->inCircuit[static_cast<size_t>(e)]) {
            const int64_t at = view.edgeAtScreen(view.edgeMidpoint(e));
            if (at >= 0) {
                EXPECT_TRUE(c->inCircuit[static_cast<size_t>(at)]);
            }
        }

    const int node = c->graph.headNode(1, 0);
    QTest::mouseClick(&view, Qt::LeftButton, {}, view.nodeCentre(node).toPoint());
    ASSERT_EQ(heads.count(), 1);
    EXPECT_EQ(heads.last().at(0).toInt(), 1);
    EXPECT_EQ(heads.last().at(1).toInt(), 0);
    EXPECT_EQ(view.selectedNode(), node);
    EXPECT_TRUE(view.describeNode(node).startsWith(QStringLiteral("a1.h0")));
    EXPECT_TRUE(view.selectHead(0, 1));
    EXPECT_EQ(view.selectedNode(), c->graph.headNode(0, 1));
    EXPECT_FALSE(view.selectHead(5, 0));
}

TEST(CircuitGraphView, HiddenNodesDropTheirEdgesAndPinnedNodesKeepThemPastTheBudget) {
    auto c = syntheticCircuit(3, 4, 4, 9);
    c->inCircuit.assign(c->scores.size(), 1);
    CircuitGraphView view;
    view.resize(800, 600);
    view.setRanking(rankCircuit(c));
    const int all = view.drawnEdgeCount();
    const int node = c->graph.headNode(1, 2);
    int64_t touching = 0;
    for (int64_t e = 0; e < c->graph.edgeCount(); ++e)
        if (c->graph.edgeSender(e) == node ||
            c->graph.receivers()[static_cast<size_t>(c->graph.edgeReceiver(e))].node == node)
            ++touching;
    view.setHidden(node, true);
    EXPECT_EQ(view.drawnEdgeCount(), all - touching);
    EXPECT_EQ(view.nodeAtScreen(view.nodeCentre(node)), -1);
    view.showAllNodes();
    EXPECT_EQ(view.drawnEdgeCount(), all);

    view.setEdgeBudget(0);
    EXPECT_EQ(view.drawnEdgeCount(), 0);
    view.setPinned(node, true);
    EXPECT_EQ(view.drawnEdgeCount(), touching);
    EXPECT_TRUE(view.isPinned(node));
}

TEST(CircuitGraphView, ComparisonAndRemovedEdgesAreTold) {
    auto a = syntheticCircuit(2, 2, 2, 21, 10);
    auto b = std::make_shared<Circuit>(*a);
    b->inCircuit.assign(a->scores.size(), 0);
    int64_t onlyA = -1, both = -1, onlyB = -1;
    for (int64_t e = 0; e < a->graph.edgeCount(); ++e) {
        const bool inA = a->inCircuit[static_cast<size_t>(e)];
        if (inA && both < 0) {
            both = e;
            b->inCircuit[static_cast<size_t>(e)] = 1;
        } else if (inA && onlyA < 0) {
            onlyA = e;
        } else if (!inA && onlyB < 0) {
            onlyB = e;
            b->inCircuit[static_cast<size_t>(e)] = 1;
        }
    }
    CircuitGraphView view;
    view.resize(800, 600);
    view.setRanking(rankCircuit(a));
    const int drawnA = view.drawnEdgeCount();
    view.setComparison(b);
    EXPECT_TRUE(view.comparing());
    EXPECT_EQ(view.drawnEdgeCount(), drawnA + 1);  // B's edge outside A is drawn too
    EXPECT_TRUE(view.describeEdge(both).endsWith(QStringLiteral("in A and B")));
    EXPECT_TRUE(view.describeEdge(onlyA).endsWith(QStringLiteral("in A only")));
    EXPECT_TRUE(view.describeEdge(onlyB).endsWith(QStringLiteral("in B only")));
    EXPECT_NE(view.legendText().indexOf(QStringLiteral("A only / B only / both")), -1);

    view.setComparison(nullptr);
    std::vector<uint8_t> kept = a->inCircuit;
    kept[static_cast<size_t>(onlyA)] = 0;
    view.setKeptEdges(kept, {onlyA});
    EXPECT_EQ(view.drawnEdgeCount(), drawnA);  // the removed edge stays drawn (dashed)
    EXPECT_NE(view.describeEdge(onlyA).indexOf(QStringLiteral("removed by an edit")), -1);
}

TEST(CircuitGraphView, ExportsPngSvgAndPdf) {
    auto c = syntheticCircuit(2, 4, 2, 4, 20);
    CircuitGraphView view;
    view.resize(640, 480);
    view.setRanking(rankCircuit(c));
    QTemporaryDir dir;
    QString error;
    const QString png = dir.filePath(QStringLiteral("g.png"));
    ASSERT_TRUE(view.exportTo(png, QSize(1000, 700), &error)) << error.toStdString();
    EXPECT_EQ(QImage(png).size(), QSize(1000, 700));
    for (const auto& [name, magic] : {std::pair{QStringLiteral("g.svg"), QByteArray("<?xml")},
                                      std::pair{QStringLiteral("g.pdf"), QByteArray("%PDF")}}) {
        const QString path = dir.filePath(name);
        ASSERT_TRUE(view.exportTo(path, QSize(800, 600), &error)) << error.toStdString();
        QFile f(path);
        ASSERT_TRUE(f.open(QIODevice::ReadOnly));
        EXPECT_TRUE(f.read(5).startsWith(magic)) << name.toStdString();
    }
    EXPECT_FALSE(view.exportTo(dir.filePath(QStringLiteral("g.bmp")), {}, &error));
    EXPECT_NE(error.indexOf(QStringLiteral("bmp")), -1);
    CircuitGraphView empty;
    EXPECT_FALSE(empty.exportTo(png, {}, &error));
}

TEST(CircuitGraphView, RanksALlamaEightBSizedGraphOffTheGuiThread) {
    auto c = syntheticCircuit(32, 32, 32, 1, 500);  // spec 6.6: GQA ungrouped
    ASSERT_EQ(c->graph.edgeCount(), 1592881);
    CircuitGraphView view;
    view.resize(800, 600);
    QSignalSpy ready(&view, &CircuitGraphView::graphReady);
    view.setCircuit(c);
    EXPECT_FALSE(view.isReady());  // ranking runs on a worker; the window goes on
    EXPECT_FALSE(view.grab().isNull());
    ASSERT_TRUE(ready.wait(120000));
    ASSERT_TRUE(view.isReady());
    EXPECT_EQ(count(view.keptEdges()), 500);
    EXPECT_EQ(view.drawnEdgeCount() + view.bundledEdgeCount(), 500);
}

TEST(FaithfulnessCurvePlot, ClickingAGridPointAsksForItsEdgeCount) {
    FaithfulnessCurvePlot plot;
    plot.resize(600, 400);
    std::vector<circuits::FaithfulnessPoint> curve;
    const int64_t all = 32491;
    for (double pct : circuits::faithfulnessGridPercent()) {
        const auto edges = static_cast<int64_t>(std::llround(pct / 100 * all));
        curve.push_back({double(edges) / all, edges, std::min(1.0, pct / 10)});
    }
    plot.setCurve(curve, 0.71, 0.12);
    plot.setCurrent(3249, all, 0.9);
    EXPECT_NE(plot.summaryText().indexOf(QStringLiteral("CPR 0.710")), -1);
    EXPECT_NE(plot.summaryText().indexOf(QStringLiteral("CMD 0.120")), -1);
    EXPECT_EQ(plot.curveGraph()->dataCount(), 10);
    ASSERT_EQ(plot.currentGraph()->dataCount(), 1);
    EXPECT_NEAR(plot.currentGraph()->data()->at(0)->value, 0.9, 1e-12);
    plot.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&plot));
    plot.plot()->replot();
    QSignalSpy clicked(&plot, &FaithfulnessCurvePlot::edgeCountClicked);
    QTest::mouseClick(plot.plot(), Qt::LeftButton, {}, plot.pointPosition(5).toPoint());
    ASSERT_EQ(clicked.count(), 1);
    EXPECT_EQ(clicked.last().at(0).toLongLong(), curve[5].edges);
}
