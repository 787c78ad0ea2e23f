// The circuit explorer in the window, on the demo model: discovery from the panel, the amount
// control against the CLI's circuit-eval (a real process), edge removal through the undoable
// edit list, comparison with a second circuit against the analysis library, and sessions.
#include <ATen/ATen.h>  // LibTorch before Qt
#include <gtest/gtest.h>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPushButton>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QUndoStack>

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/circuit_graph_view.h"
#include "attnscope/ui/circuit_panel.h"
#include "attnscope/ui/circuit_positions_view.h"
#include "attnscope/ui/circuit_run_form.h"
#include "attnscope/ui/faithfulness_curve_plot.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/predictions_model.h"
#include "attnscope/ui/predictions_view.h"
#include "cli_process.h"
#include "fixture_paths.h"
#include "test_helpers.h"

namespace attnscope::ui {
namespace {

using test::waitUntil;
namespace circuits = analysis::circuits;

QString demoDir() {
    return QString::fromStdString((test::sourceDir() / "resources" / "models" / "demo").string());
}

// The demo model, its recall pairs, and a window with a circuit found by `method`.
class CircuitExplorerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ATTNSCOPE_REQUIRE_FIXTURE(test::sourceDir() / "resources" / "models" / "demo" /
                                  "config.json");
        pairs = demoDir() + QStringLiteral("/eval/recall_pairs.jsonl");
        window = std::make_unique<MainWindow>();
        window->setQuietErrors(true);
        window->show();
        window->openModel(demoDir());
        ASSERT_TRUE(waitUntil([&] { return window->controller()->lastRun() != nullptr; }))
            << window->lastError().toStdString();
        panel = window->circuitPanel();
        window->showCircuitPanel();  // the graph gets its on-screen size
        test::settleLayout();
    }

    // Fills the form and clicks Find circuit; waits for the graph and the first evaluation.
    void discover(const QString& method) {
        CircuitRunForm* form = panel->form();
        form->methodCombo()->setCurrentIndex(form->methodCombo()->findData(method));
        form->pairsFileEdit()->setText(pairs);
        const CircuitPtr before = panel->circuit();
        form->runButton()->click();
        ASSERT_TRUE(waitUntil([&] {
            return (panel->circuit() != before && panel->graph()->isReady() &&
                    panel->evaluation().has_value()) ||
                   !window->lastError().isEmpty();
        })) << "no circuit";
        ASSERT_TRUE(window->lastError().isEmpty()) << window->lastError().toStdString();
    }

    // Waits until the evaluation of the panel's current kept edges arrived.
    bool waitForEvaluation() {
        return waitUntil([&] {
            return panel->evaluation() &&
                   panel->evaluation()->keptEdges == panel->keptEdgeCount() &&
                   panel->evaluation()->generation ==
                       window->controller()->circuitEvaluationGeneration();
        });
    }

    std::vector<double> predictionProbs() const {
        std::vector<double> out;
        const auto& rows = window->predictionsView()->model()->snapshot().rows;
        for (const auto& r : rows)
            out.push_back(r.prob);
        return out;
    }

    // The first recall pair alone (ACDC runs one forward per edge: one pair keeps it short).
    QString firstPairFile() {
        QFile in(pairs);
        EXPECT_TRUE(in.open(QIODevice::ReadOnly));
        const QString path = dir.filePath(QStringLiteral("first_pair.jsonl"));
        QFile out(path);
        EXPECT_TRUE(out.open(QIODevice::WriteOnly));
        out.write(in.readLine());
        return path;
    }

    QTemporaryDir dir;
    QString pairs;
    std::unique_ptr<MainWindow> window;
    CircuitPanel* panel = nullptr;
};

TEST_F(CircuitExplorerTest, EapIgFromThePanelShowsTheGraphAndItsCurve) {
    discover(QStringLiteral("eap-ig"));
    const CircuitPtr c = panel->circuit();
    EXPECT_EQ(c->method, "eap-ig");
    const auto& m = window->controller()->model();
    EXPECT_EQ(c->graph.edgeCount(), circuits::EdgeGraph::countEdges(m.layers, m.heads, m.kvHeads));
    EXPECT_GT(panel->graph()->drawnEdgeCount(), 0);
    EXPECT_EQ(panel->graph()->keptEdges(), panel->keptEdges());
    EXPECT_EQ(panel->curve()->curve().size(), circuits::faithfulnessGridPercent().size());
    EXPECT_TRUE(std::isfinite(panel->evaluation()->faithfulness));
    EXPECT_NE(panel->readoutText().indexOf(QStringLiteral("faithfulness")), -1);
    EXPECT_FALSE(panel->grab().isNull());
}

TEST_F(CircuitExplorerTest, TheSliderReEvaluatesAndAgreesWithCircuitEval) {
    discover(QStringLiteral("eap-ig"));
    const double first = panel->evaluation()->faithfulness;
    const double marker = panel->curve()->currentFaithfulness();
    EXPECT_DOUBLE_EQ(marker, first);
    // Move the slider to the far left part (a few edges): a different circuit.
    panel->amountSlider()->setValue(panel->amountSlider()->maximum() / 3);
    ASSERT_TRUE(waitForEvaluation());
    const int64_t kept = panel->keptEdgeCount();
    EXPECT_NE(kept, 0);
    const double faithfulness = panel->evaluation()->faithfulness;
    EXPECT_NE(faithfulness, first);
    EXPECT_DOUBLE_EQ(panel->curve()->currentFaithfulness(), faithfulness);
    EXPECT_EQ(panel->curve()->currentEdges(), kept);
    EXPECT_NE(panel->readoutText().indexOf(QString::number(faithfulness, 'f', 4)), -1);

    // The same edge set through the command line.
    const QString file = dir.filePath(QStringLiteral("slider.json"));
    QString error;
    ASSERT_TRUE(panel->saveCircuit(file, &error)) << error.toStdString();
    const auto r = test::runProcess({ATTNSCOPE_CLI, "circuit-eval", "--model",
                                     demoDir().toStdString(), "--data", pairs.toStdString(),
                                     "--circuit", file.toStdString(), "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("edges_kept").get<int64_t>(), kept) << r.out;
    EXPECT_NEAR(j.at("faithfulness").get<double>(), faithfulness, 1e-5) << r.out;
}

// Exact edge patching from the panel (one forward per edge, so one pair): the scores of
// `circuit --method exact` on the same pair; it scores whole edges, so no steps, τ or positions.
TEST_F(CircuitExplorerTest, ExactPatchingFromThePanelGivesTheCommandLinesScores) {
    pairs = firstPairFile();
    CircuitRunForm* form = panel->form();
    form->methodCombo()->setCurrentIndex(form->methodCombo()->findData(QStringLiteral("exact")));
    EXPECT_FALSE(form->perPositionBox()->isEnabled());
    EXPECT_FALSE(form->stepsBox()->isEnabled());
    EXPECT_FALSE(form->thresholdBox()->isEnabled());
    discover(QStringLiteral("exact"));
    const CircuitPtr c = panel->circuit();
    EXPECT_EQ(c->method, "exact");
    EXPECT_GT(panel->keptEdgeCount(), 0);

    const auto r =
        test::runProcess({ATTNSCOPE_CLI, "circuit", "--model", demoDir().toStdString(), "--data",
                          pairs.toStdString(), "--method", "exact", "--quiet", "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto edges = nlohmann::json::parse(r.out).at("edges");
    ASSERT_EQ(edges.size(), c->scores.size());
    for (size_t e = 0; e < edges.size(); ++e) {
        EXPECT_EQ(edges[e]["name"], c->graph.edgeName(static_cast<int64_t>(e)));
        EXPECT_NEAR(edges[e]["score"].get<double>(), c->scores[e], 1e-5) << e;
    }
}

// Positions as columns: a per-position EAP circuit found from the panel, one column per token
// of the prompt (as `tokenize` counts them), the scores the command line's analysis gives, and
// the amount control selecting (edge, position) cells.
TEST_F(CircuitExplorerTest, PositionsAsColumnsShowEveryTokenAndThePerPositionScores) {
    pairs = firstPairFile();  // one pair: one token length
    discover(QStringLiteral("eap"));
    QCheckBox* toggle = panel->positionsToggle();
    EXPECT_FALSE(toggle->isEnabled()) << "a circuit without per-position scores";
    EXPECT_NE(toggle->toolTip().indexOf(QStringLiteral("no per-position scores")), -1)
        << toggle->toolTip().toStdString();

    panel->form()->perPositionBox()->setChecked(true);
    discover(QStringLiteral("eap"));
    const CircuitPtr circuit = panel->circuit();
    ASSERT_TRUE(circuit->hasPositionScores());
    ASSERT_TRUE(toggle->isEnabled());
    toggle->click();
    ASSERT_TRUE(panel->positionsMode());
    ASSERT_TRUE(waitForEvaluation());
    CircuitPositionsView* view = panel->positionsView();
    EXPECT_TRUE(view->isVisible());
    EXPECT_FALSE(panel->graph()->isVisible());

    // One column per token of the clean prompt, every node in each (the logits over the last).
    QFile in(pairs);
    ASSERT_TRUE(in.open(QIODevice::ReadOnly));
    const auto pair = nlohmann::json::parse(in.readLine().toStdString());
    const auto tokens =
        test::runProcess({ATTNSCOPE_CLI, "tokenize", "--model", demoDir().toStdString(), "--text",
                          pair.at("clean").get<std::string>(), "--json"});
    ASSERT_EQ(tokens.exitCode, 0) << tokens.err;
    const auto count = static_cast<int64_t>(nlohmann::json::parse(tokens.out).size());
    EXPECT_EQ(view->columnCount(), count);
    EXPECT_EQ(view->columnLabels().size(), count);
    const auto nodes = static_cast<int64_t>(circuit->graph.nodes().size());
    EXPECT_EQ(view->drawnNodeCount(), (nodes - 1) * count + 1);

    // The drawn cells lie inside their columns, and the best-ranked one shows the score the
    // command line computes for that edge at that position.
    ASSERT_FALSE(view->drawnCells().empty());
    for (int64_t cell : view->drawnCells()) {
        const QRectF column = view->layout().columnRect(view->layout().cellPosition(cell));
        EXPECT_TRUE(column.contains(view->layout().cellStart(cell)) &&
                    column.contains(view->layout().cellEnd(cell)))
            << cell;
    }
    const int64_t cell = view->drawnCells().front();
    const int64_t edge = view->layout().cellEdge(cell),
                  position = view->layout().cellPosition(cell);
    EXPECT_EQ(view->cellAtScreen(view->cellMidpoint(cell)), cell);
    const QString shown = view->describeCell(cell);
    const QRegularExpressionMatch match =
        QRegularExpression(QStringLiteral("score (\\S+),")).match(shown);
    ASSERT_TRUE(match.hasMatch()) << shown.toStdString();
    const auto r = test::runProcess({ATTNSCOPE_CLI, "circuit", "--model", demoDir().toStdString(),
                                     "--data", pairs.toStdString(), "--method", "eap",
                                     "--per-position", "--json", "--quiet"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const auto& entry = j.at("edges").at(static_cast<size_t>(edge));
    EXPECT_EQ(entry.at("name").get<std::string>(), circuit->graph.edgeName(edge));
    const double expected = entry.at("position_scores").at(static_cast<size_t>(position));
    EXPECT_NEAR(match.captured(1).toDouble(), expected, 1e-5 * std::max(1.0, std::fabs(expected)))
        << shown.toStdString();

    // The amount control selects cells; every cell kept is the full model.
    const int64_t cells = circuit->graph.edgeCount() * count;
    panel->setAmount(CircuitAmount::TopEdges, 10);
    ASSERT_TRUE(waitForEvaluation());
    EXPECT_EQ(panel->keptEdgeCount(), 10);
    EXPECT_EQ(view->drawnCells().size(), 10u);
    EXPECT_EQ(panel->evaluation()->totalEdges, cells);
    const double few = panel->evaluation()->faithfulness;
    panel->setAmount(CircuitAmount::Percent, 100);
    ASSERT_TRUE(waitForEvaluation());
    EXPECT_EQ(panel->keptEdgeCount(), cells);
    EXPECT_NEAR(panel->evaluation()->faithfulness, 1.0, 1e-5);
    EXPECT_NE(few, panel->evaluation()->faithfulness);
    EXPECT_FALSE(view->grab().isNull());

    // Back to positions collapsed: edges again.
    toggle->click();
    EXPECT_FALSE(panel->positionsMode());
    ASSERT_TRUE(waitForEvaluation());
    EXPECT_EQ(panel->evaluation()->totalEdges, circuit->graph.edgeCount());
}

TEST_F(CircuitExplorerTest, AClickOnTheCurveSetsTheSliderToThatCircuit) {
    discover(QStringLiteral("eap-ig"));
    FaithfulnessCurvePlot* curve = panel->curve();
    ASSERT_EQ(curve->curve().size(), circuits::faithfulnessGridPercent().size());
    curve->plot()->replot();
    for (int i : {6, 4}) {  // 10 % and 2 % of the edges
        const auto& point = curve->curve()[static_cast<size_t>(i)];
        QTest::mouseClick(curve->plot(), Qt::LeftButton, {}, curve->pointPosition(i).toPoint());
        EXPECT_EQ(panel->keptEdgeCount(), point.edges);
        ASSERT_TRUE(waitForEvaluation());
        // The slider's circuit is the curve's: the same edges give the same faithfulness.
        EXPECT_NEAR(panel->evaluation()->faithfulness, point.faithfulness, 1e-6) << i;
    }
}

TEST_F(CircuitExplorerTest, RemovingAnEdgeByClickingChangesThePredictionsAndUndoRestoresThem) {
    discover(QStringLiteral("eap-ig"));
    ASSERT_TRUE(waitForEvaluation());
    const std::vector<double> before = predictionProbs();
    const int64_t keptBefore = panel->keptEdgeCount();
    ASSERT_FALSE(before.empty());
    // The best-ranked kept edge whose middle is free of boxes and other edges.
    CircuitGraphView* graph = panel->graph();
    int64_t target = -1;
    for (int64_t e : graph->ranking()->order) {
        if (!panel->keptEdges()[static_cast<size_t>(e)]) continue;
        const QPointF mid = graph->edgeMidpoint(e).toPoint();  // where a click lands
        if (graph->nodeAtScreen(mid) < 0 && graph->edgeAtScreen(mid) == e) {
            target = e;
            break;
        }
    }
    ASSERT_GE(target, 0);
    const QString name = QString::fromStdString(panel->circuit()->graph.edgeName(target));
    // Hovering measures the effect of removing it (one patched forward)...
    const double faithfulnessBefore = panel->evaluation()->faithfulness;
    // (A move event sent to the widget: the offscreen platform has no cursor to move.)
    const QPointF at = graph->edgeMidpoint(target).toPoint();
    QMouseEvent move(QEvent::MouseMove, at, graph->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QCoreApplication::sendEvent(graph, &move);
    ASSERT_TRUE(waitUntil([&] { return std::isfinite(graph->removalEffect(target)); }));
    const double effect = graph->removalEffect(target);
    EXPECT_NE(
        graph->describeEdge(target).indexOf(QStringLiteral("effect when removed: faithfulness")),
        -1);
    // ...which the click then makes.
    QTest::mouseClick(graph, Qt::LeftButton, {}, graph->edgeMidpoint(target).toPoint());
    ASSERT_EQ(window->undoStack()->count(), 1);
    const InterventionList& edits = window->controller()->interventions();
    ASSERT_EQ(edits.size(), 1u);
    EXPECT_EQ(edits[0].kind, kinds::kRemoveEdge);
    EXPECT_EQ(edits[0].edge, name);
    EXPECT_EQ(panel->keptEdgeCount(), keptBefore - 1);
    ASSERT_TRUE(waitForEvaluation());
    EXPECT_NE(predictionProbs(), before);
    EXPECT_NEAR(panel->evaluation()->faithfulness, faithfulnessBefore + effect, 1e-9);

    window->undoStack()->undo();
    EXPECT_EQ(panel->keptEdgeCount(), keptBefore);
    ASSERT_TRUE(waitForEvaluation());
    const std::vector<double> restored = predictionProbs();
    ASSERT_EQ(restored.size(), before.size());
    for (size_t i = 0; i < before.size(); ++i)
        EXPECT_NEAR(restored[i], before[i], 1e-6) << i;

    // The removed edge is drawn dashed and a click on it restores it (redo, then click).
    window->undoStack()->redo();
    ASSERT_TRUE(waitForEvaluation());
    QTest::mouseClick(graph, Qt::LeftButton, {}, graph->edgeMidpoint(target).toPoint());
    EXPECT_TRUE(window->controller()->interventions().empty());
    EXPECT_EQ(panel->keptEdgeCount(), keptBefore);
}

TEST_F(CircuitExplorerTest, HoveringANodeMeasuresTheCircuitWithoutItsEdges) {
    discover(QStringLiteral("eap-ig"));
    ASSERT_TRUE(waitForEvaluation());
    const double faithfulnessBefore = panel->evaluation()->faithfulness;
    const std::vector<uint8_t> kept = panel->keptEdges();
    const circuits::EdgeGraph& g = panel->circuit()->graph;
    CircuitGraphView* graph = panel->graph();
    // A head of the circuit and its kept edges, found here from the graph's own tables.
    int node = -1;
    std::vector<uint8_t> without;
    for (int l = 0; l < g.layers() && node < 0; ++l)
        for (int h = 0; h < g.heads() && node < 0; ++h) {
            const int n = g.headNode(l, h);
            std::vector<uint8_t> candidate = kept;
            bool any = false;
            for (int64_t e = 0; e < g.edgeCount(); ++e) {
                const bool touches =
                    g.edgeSender(e) == n ||
                    g.receivers()[static_cast<size_t>(g.edgeReceiver(e))].node == n;
                if (touches && kept[static_cast<size_t>(e)]) {
                    candidate[static_cast<size_t>(e)] = 0;
                    any = true;
                }
            }
            if (any && graph->nodeAtScreen(graph->nodeCentre(n)) == n) {
                node = n;
                without = std::move(candidate);
            }
        }
    ASSERT_GE(node, 0);
    const QPointF at = graph->nodeCentre(node).toPoint();
    QMouseEvent move(QEvent::MouseMove, at, graph->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QCoreApplication::sendEvent(graph, &move);
    EXPECT_NE(graph->describeNode(node).indexOf(QStringLiteral("measuring")), -1);
    ASSERT_TRUE(waitUntil([&] { return std::isfinite(graph->nodeRemovalEffect(node)); }));
    const double effect = graph->nodeRemovalEffect(node);
    EXPECT_NE(graph->describeNode(node).indexOf(QStringLiteral("effect when removed (its")), -1);
    ASSERT_TRUE(waitUntil([&] { return !window->controller()->busy(); }));

    // Cached: hovering it again asks for nothing.
    QSignalSpy measured(window->controller(), &AppController::nodeRemovalMeasured);
    QMouseEvent away(QEvent::MouseMove, QPointF(1, 1), graph->mapToGlobal(QPointF(1, 1)),
                     Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(graph, &away);
    QCoreApplication::sendEvent(graph, &move);
    EXPECT_FALSE(window->controller()->busy());
    EXPECT_EQ(measured.count(), 0);

    // The effect is that of the circuit without the node's edges, evaluated on its own.
    std::optional<double> faithfulnessWithout;
    const auto connection = QObject::connect(
        window->controller(), &AppController::circuitEvaluated,
        [&](const CircuitEvaluationSnapshot& e) { faithfulnessWithout = e.faithfulness; });
    window->controller()->evaluateCircuit(panel->form()->request(), without);
    ASSERT_TRUE(waitUntil([&] { return faithfulnessWithout.has_value(); }));
    QObject::disconnect(connection);
    EXPECT_NEAR(effect, *faithfulnessWithout - faithfulnessBefore, 1e-9);
    EXPECT_GT(std::abs(effect), 0.0);
}

TEST_F(CircuitExplorerTest, AcdcFromThePanelStreamsItsPruningIntoTheGraph) {
    CircuitRunForm* form = panel->form();
    form->methodCombo()->setCurrentIndex(form->methodCombo()->findData(QStringLiteral("acdc")));
    form->thresholdBox()->setValue(0.05);
    form->pairsFileEdit()->setText(firstPairFile());
    std::vector<int64_t> removedSoFar;  // per delivered state
    QObject context;
    QObject::connect(window->controller(), &AppController::circuitPruned, &context,
                     [&](CircuitPtr c) {
                         removedSoFar.push_back(
                             std::count(c->inCircuit.begin(), c->inCircuit.end(), uint8_t{0}));
                     });
    CircuitPtr finished;
    QObject::connect(window->controller(), &AppController::circuitFinished, &context,
                     [&](CircuitPtr c) { finished = c; });
    form->runButton()->click();
    // While it runs, the graph shows the pruning: the panel says so and asks for no evaluation.
    ASSERT_TRUE(waitUntil([&] { return panel->isPruning() || finished != nullptr; }));
    if (!finished) {
        EXPECT_NE(panel->readout()->text().indexOf(QStringLiteral("removed so far")), -1);
    }
    ASSERT_TRUE(waitUntil([&] { return finished != nullptr; }, 600000))
        << window->lastError().toStdString();
    ASSERT_GE(removedSoFar.size(), 2u) << "intermediate states arrive";
    EXPECT_EQ(panel->pruningStatesShown(), 0);  // reset by the result
    EXPECT_TRUE(std::is_sorted(removedSoFar.begin(), removedSoFar.end()));
    EXPECT_GT(removedSoFar.back(), 0);
    EXPECT_LE(removedSoFar.back(),
              std::count(finished->inCircuit.begin(), finished->inCircuit.end(), uint8_t{0}));
    // The result replaces the last state, and the explorer evaluates it as usual.
    EXPECT_FALSE(panel->isPruning());
    ASSERT_TRUE(waitForEvaluation());
    EXPECT_EQ(panel->circuit(), finished);
}

TEST_F(CircuitExplorerTest, EscCancelsAcdcWhileItPrunes) {
    CircuitRunForm* form = panel->form();
    form->methodCombo()->setCurrentIndex(form->methodCombo()->findData(QStringLiteral("acdc")));
    form->thresholdBox()->setValue(0.05);
    form->pairsFileEdit()->setText(firstPairFile());
    int states = 0;
    bool finished = false;
    QObject context;
    QObject::connect(window->controller(), &AppController::circuitPruned, &context,
                     [&](CircuitPtr) { ++states; });
    QObject::connect(window->controller(), &AppController::circuitFinished, &context,
                     [&](CircuitPtr) { finished = true; });
    QSignalSpy cancelled(window->controller(), &AppController::circuitCancelled);
    form->runButton()->click();
    ASSERT_TRUE(waitUntil([&] { return states >= 1 || finished; }));
    ASSERT_FALSE(finished) << "ACDC ended before it could be cancelled";
    // The action bound to Esc (a key event needs an active window, which offscreen lacks).
    QAction* esc = nullptr;
    for (QAction* a : window->findChildren<QAction*>())
        if (a->shortcut() == QKeySequence(Qt::Key_Escape)) esc = a;
    ASSERT_NE(esc, nullptr);
    esc->trigger();
    ASSERT_TRUE(cancelled.count() > 0 || cancelled.wait(60000));
    const int statesAtCancel = states;
    EXPECT_FALSE(finished);
    EXPECT_FALSE(panel->isPruning());
    EXPECT_NE(panel->readout()->text().indexOf(QStringLiteral("cancelled")), -1)
        << panel->readout()->text().toStdString();
    // Nothing more arrives once cancelled.
    ASSERT_TRUE(waitUntil([&] { return !window->controller()->busy(); }));
    QCoreApplication::processEvents();
    EXPECT_EQ(states, statesAtCancel);
    EXPECT_FALSE(finished);
}

TEST_F(CircuitExplorerTest, ASecondCircuitShowsTheLibrarysOverlap) {
    discover(QStringLiteral("eap"));
    // Circuit B: the same scores with a quarter of A's edge count, saved and opened as a file.
    auto b = std::make_shared<Circuit>(*panel->currentCircuit());
    const auto ranking = rankCircuit(b);
    b->inCircuit = topEdgesMask(*ranking, std::max<int64_t>(1, panel->keptEdgeCount() / 4));
    b->method = "eap (smaller)";
    const QString file = dir.filePath(QStringLiteral("b.h5"));
    circuits::writeCircuitFile(file.toStdString(), *b);
    QSignalSpy opened(window->controller(), &AppController::circuitFileOpened);
    Q_EMIT panel->openCircuitRequested(file, 1);
    ASSERT_TRUE(opened.wait(60000)) << window->lastError().toStdString();
    ASSERT_TRUE(panel->comparison() != nullptr);
    ASSERT_TRUE(panel->overlap().has_value());
    const circuits::CircuitOverlap expected =
        circuits::overlap(*panel->currentCircuit(), *panel->comparison());
    const circuits::CircuitOverlap shown = *panel->overlap();
    EXPECT_DOUBLE_EQ(shown.headJaccard, expected.headJaccard);
    EXPECT_DOUBLE_EQ(shown.headContainment, expected.headContainment);
    EXPECT_DOUBLE_EQ(shown.edgeJaccard, expected.edgeJaccard);
    EXPECT_DOUBLE_EQ(shown.edgeContainment, expected.edgeContainment);
    EXPECT_EQ(shown.edgesBoth, expected.edgesBoth);
    // B is a subset of A: every B edge is shared, and |A∩B|/|A| is |B|/|A|.
    EXPECT_EQ(expected.edgesBoth, expected.edgesB);
    EXPECT_NEAR(expected.edgeContainment, double(expected.edgesB) / double(expected.edgesA), 1e-12);
    const QString text = panel->overlapLabel()->text();
    EXPECT_NE(text.indexOf(QString::number(expected.edgeJaccard, 'f', 4)), -1)
        << text.toStdString();
    EXPECT_NE(text.indexOf(QString::number(expected.headJaccard, 'f', 4)), -1)
        << text.toStdString();
    EXPECT_TRUE(panel->overlapLabel()->isVisibleTo(panel));
    EXPECT_TRUE(panel->graph()->comparing());
}

TEST_F(CircuitExplorerTest, ASessionSavesAndRestoresTheCircuits) {
    discover(QStringLiteral("eap"));
    panel->setComparison(panel->currentCircuit());
    const QString session = dir.filePath(QStringLiteral("s.h5"));
    QSignalSpy saved(window->controller(), &AppController::sessionSaved);
    window->saveSession(session);
    ASSERT_TRUE(saved.wait(60000)) << window->lastError().toStdString();

    MainWindow other;
    other.setQuietErrors(true);
    QSignalSpy restored(&other, &MainWindow::sessionRestored);
    other.openSession(session);
    ASSERT_TRUE(restored.wait(120000)) << other.lastError().toStdString();
    CircuitPanel* p = other.circuitPanel();
    ASSERT_TRUE(p->circuit() != nullptr);
    EXPECT_EQ(p->circuit()->scores, panel->circuit()->scores);
    EXPECT_EQ(p->circuit()->inCircuit, panel->keptEdges());
    ASSERT_TRUE(p->comparison() != nullptr);
    ASSERT_TRUE(waitUntil([&] { return p->graph()->isReady(); }));
    EXPECT_EQ(p->keptEdges(), panel->keptEdges());
}

// The panel on the demo model's recall circuit with the curve beside it, rendered offscreen:
// docs/screenshots/circuit_explorer.png comes from this test with ATTNSCOPE_CIRCUIT_SCREENSHOT
// set to that path (otherwise the image goes to a temporary folder).
// The circuit dock floating at 1500 x 900 (before a discovery, so that the graph fits it).
void floatCircuitDock(MainWindow& window) {
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("circuitDock"));
    ASSERT_NE(dock, nullptr);
    dock->setFloating(true);
    dock->resize(1500, 900);
    window.showCircuitPanel();
    test::settleLayout();
}

// Saves the panel's image to the path in `variable` (else `fallback`) and checks it is not
// blank: the graph's edges bring in the sign colours.
void savePanelImage(CircuitPanel& panel, const char* variable, const QString& fallback) {
    test::settleLayout();
    const QByteArray target = qgetenv(variable);
    const QString path = target.isEmpty() ? fallback : QString::fromLocal8Bit(target);
    const QImage image = panel.grab().toImage();
    ASSERT_TRUE(image.save(path));
    EXPECT_GE(image.width(), 1000);
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            colours.insert(image.pixel(x, y));
    EXPECT_GT(colours.size(), 50);
}

TEST_F(CircuitExplorerTest, ScreenshotOfTheRecallCircuit) {
    floatCircuitDock(*window);
    discover(QStringLiteral("eap-ig"));
    panel->setAmount(CircuitAmount::Percent, 10.0);  // the "<= 10 % of edges"
    ASSERT_TRUE(waitForEvaluation());
    window->selectHead(2, 1);
    savePanelImage(*panel, "ATTNSCOPE_CIRCUIT_SCREENSHOT",
                   dir.filePath(QStringLiteral("circuit_explorer.png")));
}

// The same in positions as columns (docs/screenshots/circuit_positions.png with
// ATTNSCOPE_POSITIONS_SCREENSHOT set): the per-position EAP-IG circuit of one recall pair.
TEST_F(CircuitExplorerTest, ScreenshotOfPositionsAsColumns) {
    floatCircuitDock(*window);
    pairs = firstPairFile();
    panel->form()->perPositionBox()->setChecked(true);
    discover(QStringLiteral("eap-ig"));
    panel->positionsToggle()->click();
    ASSERT_TRUE(panel->positionsMode());
    panel->setAmount(CircuitAmount::TopEdges, 80);
    ASSERT_TRUE(waitForEvaluation());
    savePanelImage(*panel, "ATTNSCOPE_POSITIONS_SCREENSHOT",
                   dir.filePath(QStringLiteral("circuit_positions.png")));
}

}  // namespace
}  // namespace attnscope::ui
