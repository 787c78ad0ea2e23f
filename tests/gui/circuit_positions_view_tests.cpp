// The positions-as-columns mode without a model: the cells' ranking against an independent
// sort, the layout (every edge inside its column, the logits over the last one, node picking),
// and the view's drawn cells, budget and picking against a scan.
#include "attnscope/ui/circuit_position_layout.h"
#include "attnscope/ui/circuit_positions_view.h"
#include "attnscope/ui/circuit_ranking.h"

#include <gtest/gtest.h>

#include <QImage>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace attnscope::ui;
namespace circuits = attnscope::analysis::circuits;

namespace {

// A circuit over (layers, heads, kvHeads) with seeded per-position scores of both signs; the
// edge scores are their sums.
std::shared_ptr<Circuit> circuitWithPositions(int layers, int heads, int kvHeads, int64_t positions,
                                              uint32_t seed) {
    auto c = std::make_shared<Circuit>();
    c->graph = circuits::EdgeGraph(layers, heads, kvHeads);
    c->method = "eap";
    c->positions = positions;
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 1.f);
    const int64_t edges = c->graph.edgeCount();
    c->positionScores.resize(static_cast<size_t>(edges * positions));
    for (float& s : c->positionScores)
        s = normal(rng);
    c->scores.assign(static_cast<size_t>(edges), 0.f);
    for (int64_t e = 0; e < edges; ++e)
        for (int64_t p = 0; p < positions; ++p)
            c->scores[static_cast<size_t>(e)] += c->positionScore(e, p);
    c->inCircuit.assign(static_cast<size_t>(edges), 0);
    return c;
}

// Cells by descending signed score, ties by index: computed here, not by the ranking.
std::vector<int64_t> cellsBySignedScore(const Circuit& c) {
    std::vector<int64_t> order(c.positionScores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return c.positionScores[static_cast<size_t>(a)] > c.positionScores[static_cast<size_t>(b)];
    });
    return order;
}

QStringList tokenNames(int64_t positions) {
    QStringList out;
    for (int64_t p = 0; p < positions; ++p)
        out << QStringLiteral("tok%1").arg(p);
    return out;
}

}  // namespace

TEST(CircuitPositionCells, RankedBySignedScoreOverEveryCell) {
    const auto c = circuitWithPositions(2, 4, 2, 5, 3);
    const auto cells = rankPositionCells(c, false);
    ASSERT_NE(cells, nullptr);
    EXPECT_EQ(cells->edgeCount(), c->graph.edgeCount() * 5);
    EXPECT_EQ(cells->order, cellsBySignedScore(*c));
    for (int64_t cell : {int64_t{0}, int64_t{7}, cells->edgeCount() - 1})
        EXPECT_EQ(cells->rankingScore(cell), double(c->positionScores[static_cast<size_t>(cell)]));
    // "How much circuit" reads the cells as it reads edges.
    EXPECT_EQ(selectedEdgeCount(*cells, CircuitAmount::Percent, 10.0),
              std::llround(0.1 * double(cells->edgeCount())));
    const auto mask = topEdgesMask(*cells, 12);
    EXPECT_EQ(std::count(mask.begin(), mask.end(), 1), 12);
    for (int i = 0; i < 12; ++i)
        EXPECT_EQ(mask[static_cast<size_t>(cells->order[static_cast<size_t>(i)])], 1);

    auto plain = std::make_shared<Circuit>(*c);
    plain->positions = 0;
    plain->positionScores.clear();
    EXPECT_EQ(rankPositionCells(plain), nullptr);
}

TEST(CircuitPositionLayout, EveryEdgeRunsInsideItsColumn) {
    for (const auto& [layers, heads, kv] : {std::tuple{3, 4, 4}, std::tuple{2, 8, 2}}) {
        const circuits::EdgeGraph g(layers, heads, kv);
        const int64_t positions = 6;
        const CircuitPositionLayout layout(g, positions);
        const auto nodes = static_cast<int64_t>(g.nodes().size());
        EXPECT_EQ(layout.drawnNodeCount(), (nodes - 1) * positions + 1);
        for (int64_t cell = 0; cell < g.edgeCount() * positions; ++cell) {
            const QRectF column = layout.columnRect(layout.cellPosition(cell));
            ASSERT_TRUE(column.contains(layout.cellStart(cell)) &&
                        column.contains(layout.cellEnd(cell)))
                << g.edgeName(layout.cellEdge(cell)) << " at " << layout.cellPosition(cell);
            EXPECT_LT(layout.cellEnd(cell).y(), layout.cellStart(cell).y() + 1e-9)
                << "edges run upwards";
        }
        // Boxes are found where they are drawn; the logits only over the last column.
        for (int64_t p = 0; p < positions; ++p)
            for (int n = 0; n < static_cast<int>(nodes); ++n) {
                EXPECT_EQ(layout.hasNode(n, p), n != g.logitsNode() || p == positions - 1);
                if (!layout.hasNode(n, p)) continue;
                const auto [node, position] = layout.nodeAt(layout.nodeRect(n, p).center());
                EXPECT_EQ(node, n) << g.nodeName(n) << " at " << p;
                EXPECT_EQ(position, p);
            }
        EXPECT_EQ(layout
                      .nodeAt(layout.nodeRect(g.logitsNode(), positions - 1).center() -
                              QPointF(layout.columnWidth(), 0))
                      .first,
                  -1);
        // k and v of a KV head enter under the first head of its group, in the same column.
        const int group = heads / kv;
        const int64_t kEdge = g.edgeIndex(g.inputNode(), g.kReceiver(1, kv - 1));
        const QRectF first = layout.nodeRect(g.headNode(1, (kv - 1) * group), 2);
        EXPECT_NEAR(layout.cellEnd(kEdge * positions + 2).y(), first.bottom(), 1e-9);
        EXPECT_TRUE(
            first.adjusted(-1, 0, 1, 0)
                .contains(QPointF(layout.cellEnd(kEdge * positions + 2).x(), first.center().y())));
    }
}

TEST(CircuitPositionsView, DrawsTheKeptCellsBestFirstAndPicksThem) {
    const auto c = circuitWithPositions(3, 4, 4, 7, 11);
    CircuitPositionsView view;
    view.resize(900, 600);
    view.show();
    view.setRanking(rankPositionCells(c, false), tokenNames(7));
    EXPECT_EQ(view.columnCount(), 7);
    EXPECT_EQ(view.columnLabels(), tokenNames(7));
    EXPECT_TRUE(view.drawnCells().empty()) << "nothing is kept before setKeptCells";
    const std::vector<int64_t> order = cellsBySignedScore(*c);
    std::vector<uint8_t> kept(order.size(), 0);
    for (size_t i = 0; i < 40; ++i)
        kept[static_cast<size_t>(order[i])] = 1;
    view.setKeptCells(kept);
    EXPECT_EQ(view.drawnCells(), std::vector<int64_t>(order.begin(), order.begin() + 40));
    view.setEdgeBudget(10);
    EXPECT_EQ(view.drawnCells(), std::vector<int64_t>(order.begin(), order.begin() + 10));
    view.setEdgeBudget(CircuitPositionsView::kDefaultEdgeBudget);

    // Picking through the grid equals a scan over the drawn cells, at every cell's midpoint and
    // beside it.
    const auto& layout = view.layout();
    auto scan = [&](const QPointF& screen) {
        const QPointF g = view.toGraph(screen);
        int64_t best = -1;
        double bestDistance = 1e300;
        for (int64_t cell : view.drawnCells()) {
            const double d =
                distanceToSegment(g, QLineF(layout.cellStart(cell), layout.cellEnd(cell)));
            if (d < bestDistance) {
                bestDistance = d;
                best = cell;
            }
        }
        const double radius = CircuitPositionsView::kPickRadius /
                              (view.toScreen({1, 0}).x() - view.toScreen({0, 0}).x());
        return bestDistance <= radius ? best : int64_t{-1};
    };
    for (int64_t cell : view.drawnCells())
        for (const QPointF& offset : {QPointF(0, 0), QPointF(3, 2), QPointF(-12, 0)}) {
            const QPointF at = view.cellMidpoint(cell) + offset;
            EXPECT_EQ(view.cellAtScreen(at), scan(at)) << cell;
        }
    const int64_t best = order.front();
    const QString text = view.describeCell(best);
    EXPECT_NE(text.indexOf(QString::fromStdString(c->graph.edgeName(layout.cellEdge(best)))), -1);
    EXPECT_NE(text.indexOf(QStringLiteral("(tok%1)").arg(layout.cellPosition(best))), -1)
        << text.toStdString();
    EXPECT_NE(text.indexOf(QString::number(double(c->positionScores[size_t(best)]), 'g', 7)), -1)
        << text.toStdString();
    EXPECT_NE(text.indexOf(QStringLiteral("rank 1 of")), -1) << text.toStdString();

    // Painted: the sign colours appear.
    const QImage image = view.grab().toImage();
    bool red = false;
    for (int y = 0; y < image.height() && !red; ++y)
        for (int x = 0; x < image.width() && !red; ++x) {
            const QColor px = image.pixelColor(x, y);
            red = px.red() > 150 && px.green() < 80 && px.blue() < 80;
        }
    EXPECT_TRUE(red);
    view.setRanking(nullptr, {});
    EXPECT_FALSE(view.isReady());
    EXPECT_EQ(view.drawnNodeCount(), 0);
}
