// app::CircuitSession on the demo model: the evaluation the window's slider and the CLI's
// circuit-eval share, against values the test knows (every edge: the full model, faithfulness
// 1; no edge: faithfulness 0), discovery results that survive a session file, and bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/app/circuit_session.h"
#include "attnscope/capture/load_error.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::app {
namespace {

namespace circuits = analysis::circuits;

std::filesystem::path demoModel() {
    return test::sourceDir() / "resources/models/demo";
}

CircuitPairs recallPair() {
    CircuitPairs p;
    p.clean = "alice apple bob river carol stone . carol stone alice apple bob";
    p.corrupted = "alice apple bob river carol stone . carol stone alice apple frank";
    p.answer = "river";
    p.wrong = "stone";
    return p;
}

class CircuitSessionTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_session = std::make_unique<Session>(demoModel()); }
    static void TearDownTestSuite() { s_session.reset(); }
    static std::unique_ptr<Session> s_session;
};
std::unique_ptr<Session> CircuitSessionTest::s_session;

TEST_F(CircuitSessionTest, EveryEdgeIsTheFullModelAndNoEdgeTheEmptyCircuit) {
    CircuitSession circuits(*s_session);
    circuits.prepare(recallPair(), "logit-diff", "resample");
    const int64_t edges = circuits.graph().edgeCount();
    const CircuitEvaluation all = circuits.evaluate(std::vector<uint8_t>(edges, 1));
    EXPECT_EQ(all.keptEdges, edges);
    EXPECT_EQ(all.totalEdges, edges);
    EXPECT_NEAR(all.metric, all.fullModel, 1e-4);
    EXPECT_NEAR(all.faithfulness, 1.0, 1e-5);
    EXPECT_GT(all.fullModel, all.emptyCircuit);  // the model knows the answer
    // The predictions panel: with every edge the circuit's probabilities are the model's.
    ASSERT_FALSE(all.predictions.empty());
    EXPECT_EQ(all.predictions.front().token, "river");
    for (const Prediction& p : all.predictions)
        EXPECT_NEAR(p.prob, p.baselineProb, 1e-5) << p.token;

    const CircuitEvaluation none = circuits.evaluate(std::vector<uint8_t>(edges, 0));
    EXPECT_EQ(none.keptEdges, 0);
    EXPECT_NEAR(none.metric, none.emptyCircuit, 1e-4);
    EXPECT_NEAR(none.faithfulness, 0.0, 1e-5);
    // faithfulness is (m(C) - m(empty)) / (m(M) - m(empty)) of the reported metrics.
    std::vector<uint8_t> half(edges, 0);
    for (int64_t e = 0; e < edges; e += 2)
        half[e] = 1;
    const CircuitEvaluation h = circuits.evaluate(half);
    EXPECT_NEAR(h.faithfulness, (h.metric - h.emptyCircuit) / (h.fullModel - h.emptyCircuit), 1e-9);
    EXPECT_EQ(h.keptEdges, (edges + 1) / 2);
    // The same edge set gives the same numbers every time (the slider and circuit-eval agree).
    EXPECT_EQ(circuits.evaluate(half).metric, h.metric);
}

// A pairs file edited after it was prepared is read again (the GUI re-runs with the same path).
TEST_F(CircuitSessionTest, AnEditedPairsFileIsReadAgain) {
    test::TempDir dir;
    const auto line = [](const char* answer, const char* wrong) {
        return std::string(
                   R"({"clean": "alice apple bob river carol stone . carol stone alice apple bob", )"
                   R"("corrupted": "alice apple bob river carol stone . carol stone alice apple frank", )"
                   R"("answer": ")") +
               answer + R"(", "wrong": ")" + wrong + "\"}\n";
    };
    CircuitPairs pairs;
    pairs.pairsPath = dir.write("pairs.jsonl", line("river", "stone"));
    CircuitSession circuits(*s_session);
    circuits.prepare(pairs, "logit-diff", "resample");
    const std::vector<uint8_t> all(circuits.graph().edgeCount(), 1);
    const double before = circuits.evaluate(all).fullModel;
    const auto written = std::filesystem::last_write_time(pairs.pairsPath);
    dir.write("pairs.jsonl", line("stone", "river"));  // answer and wrong swapped
    std::filesystem::last_write_time(pairs.pairsPath, written + std::chrono::seconds(2));
    circuits.prepare(pairs, "logit-diff", "resample");
    EXPECT_NEAR(circuits.evaluate(all).fullModel, -before, 1e-4);
}

TEST_F(CircuitSessionTest, BadInputIsRefused) {
    CircuitSession circuits(*s_session);
    EXPECT_THROW(circuits.evaluate({1, 0, 1}), capture::InputError);  // nothing prepared
    CircuitPairs unequal = recallPair();
    unequal.corrupted = "alice apple bob";
    EXPECT_THROW(circuits.prepare(unequal, "logit-diff", "resample"), capture::InputError);
    CircuitPairs twoTokens = recallPair();
    twoTokens.answer = "river stone";
    EXPECT_THROW(circuits.prepare(twoTokens, "logit-diff", "resample"), capture::InputError);
    circuits.prepare(recallPair(), "kl", "zero");
    EXPECT_THROW(circuits.evaluate({1, 0, 1}), capture::InputError);  // wrong size
    CircuitRequest request;
    request.pairs = recallPair();
    request.method = "eap-ig";
    request.steps = 0;
    EXPECT_THROW(circuits.discover(request), capture::InputError);
    request.method = "acdc";
    request.threshold = -1;
    EXPECT_THROW(circuits.discover(request), capture::InputError);
    request.method = "magic";
    EXPECT_THROW(circuits.discover(request), capture::InputError);
}

TEST_F(CircuitSessionTest, DiscoveredCircuitsSurviveASessionFileAndScoreTheSame) {
    CircuitSession circuits(*s_session);
    CircuitRequest request;
    request.pairs = recallPair();
    request.method = "eap-ig";
    request.steps = 3;
    request.topEdges = 40;
    const circuits::Circuit found = circuits.discover(request);
    EXPECT_EQ(found.method, "eap-ig");
    EXPECT_EQ(found.modelFingerprint, s_session->model().fingerprint);
    EXPECT_EQ(found.parameters.value("steps", 0), 3);
    int64_t kept = 0;
    for (uint8_t k : found.inCircuit)
        kept += k;
    EXPECT_GT(kept, 0);
    EXPECT_LE(kept, 40);
    ASSERT_EQ(found.curve.size(), circuits::faithfulnessGridPercent().size());
    EXPECT_NEAR(found.curve.back().faithfulness, 1.0, 1e-5);
    EXPECT_TRUE(std::isfinite(found.cpr) && std::isfinite(found.cmd));

    test::TempDir dir;
    SessionDocument document;
    document.modelPath = demoModel().string();
    document.circuits.push_back(found);
    s_session->save(dir.path() / "s.h5", document, nullptr);
    const circuits::Circuit back = readSessionFile(dir.path() / "s.h5").document.circuits.at(0);
    EXPECT_EQ(circuits::circuitToJson(back), circuits::circuitToJson(found));

    const CircuitScorecard card = circuits.scorecard(back, "s.h5");
    EXPECT_EQ(card.circuit.metric, circuits.evaluate(found.inCircuit).metric);
    EXPECT_NEAR(card.cpr, found.cpr, 1e-12);
    EXPECT_NEAR(card.cmd, found.cmd, 1e-12);

    circuits::Circuit foreign = found;
    foreign.modelFingerprint = "sha256:another";
    EXPECT_THROW(circuits.scorecard(foreign, "foreign.h5"), circuits::CircuitFormatError);
}

// Per-position circuits through the session: the request's flag, the column tokens, a session
// file, and evaluation with edges removed at single positions.
TEST_F(CircuitSessionTest, PerPositionCircuitsCarryTheirPositionsAndEvaluateByCell) {
    CircuitSession circuits(*s_session);
    CircuitRequest request;
    request.pairs = recallPair();
    request.method = "eap";
    request.perPosition = true;
    request.withCurve = false;
    const circuits::Circuit found = circuits.discover(request);
    // "alice apple ... bob": twelve words, plus BOS.
    const int64_t tokens = 13;
    ASSERT_EQ(found.positions, tokens);
    EXPECT_EQ(circuits.positionCount(), tokens);
    const auto names = found.parameters.at("position_tokens");
    ASSERT_EQ(names.size(), static_cast<size_t>(tokens));
    EXPECT_NE(names.back().get<std::string>().find("bob"), std::string::npos) << names.dump();
    EXPECT_NE(names[4].get<std::string>().find("river"), std::string::npos) << names.dump();

    test::TempDir dir;
    SessionDocument document;
    document.modelPath = demoModel().string();
    document.circuits.push_back(found);
    s_session->save(dir.path() / "p.h5", document, nullptr);
    const circuits::Circuit back = readSessionFile(dir.path() / "p.h5").document.circuits.at(0);
    EXPECT_EQ(back.positions, tokens);
    EXPECT_EQ(circuits::circuitToJson(back), circuits::circuitToJson(found));

    // Cells: one byte per (edge, position). The circuit's own edges at every position evaluate
    // as the edges; keptEdges and totalEdges count cells.
    const int64_t edges = circuits.graph().edgeCount();
    std::vector<uint8_t> cells;
    for (int64_t e = 0; e < edges; ++e)
        cells.insert(cells.end(), tokens, found.inCircuit[static_cast<size_t>(e)]);
    const CircuitEvaluation byCells = circuits.evaluate(cells);
    const CircuitEvaluation byEdges = circuits.evaluate(found.inCircuit);
    EXPECT_NEAR(byCells.metric, byEdges.metric, 1e-5);
    EXPECT_EQ(byCells.totalEdges, edges * tokens);
    EXPECT_EQ(byCells.keptEdges, byEdges.keptEdges * tokens);
    EXPECT_THROW(circuits.evaluate(std::vector<uint8_t>(edges * tokens + 1, 1)),
                 capture::InputError);

    request.method = "acdc";
    EXPECT_THROW(circuits.discover(request), capture::InputError);
}

}  // namespace
}  // namespace attnscope::app
