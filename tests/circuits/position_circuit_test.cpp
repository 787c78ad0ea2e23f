// Per-position circuits: EAP and EAP-IG scores per token position sum to the collapsed scores,
// removing an edge at every position is removing the edge, the logits read the last position
// only, and the positions axis round-trips through the HDF5 edge table and EAP-IG JSON.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <random>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/analysis/circuits/edge_patching.h"
#include "attnscope/capture/load_error.h"
#include "circuit_test_support.h"
#include "edge_test_models.h"
#include "temp_dir.h"

namespace attnscope::analysis::circuits::test {
namespace {

constexpr int kPairLength = 6;

// The per-position scores of `c` summed over positions, per edge (in double).
std::vector<double> summedOverPositions(const Circuit& c) {
    std::vector<double> out(static_cast<size_t>(c.graph.edgeCount()), 0.0);
    for (int64_t e = 0; e < c.graph.edgeCount(); ++e)
        for (int64_t p = 0; p < c.positions; ++p)
            out[static_cast<size_t>(e)] += c.positionScore(e, p);
    return out;
}

double largestMagnitude(const std::vector<float>& values) {
    double top = 0;
    for (float v : values)
        top = std::max(top, std::fabs(double(v)));
    return top;
}

struct PositionCase {
    const char* name;
    std::string config;
    int steps;  // 0: EAP
};

void PrintTo(const PositionCase& c, std::ostream* out) {
    *out << c.name;
}

class PerPositionScores : public ::testing::TestWithParam<PositionCase> {};

TEST_P(PerPositionScores, SumOverPositionsIsTheCollapsedScore) {
    auto model = randomModel(GetParam().config, 5);
    const auto pairs = randomPairs(model->config().vocabSize, 3, kPairLength, 8);
    EdgePatcher patcher(*model, pairs);
    ASSERT_EQ(patcher.positionCount(), kPairLength);
    const int steps = GetParam().steps;
    const Circuit collapsed = steps == 0 ? eap(patcher) : eapIg(patcher, steps);
    const Circuit perPosition =
        steps == 0 ? eap(patcher, {}, true) : eapIg(patcher, steps, {}, true);
    EXPECT_FALSE(collapsed.hasPositionScores());
    ASSERT_EQ(perPosition.positions, kPairLength);
    const EdgeGraph& g = perPosition.graph;
    ASSERT_EQ(perPosition.positionScores.size(), static_cast<size_t>(g.edgeCount() * kPairLength));
    EXPECT_EQ(perPosition.parameters.value("per_position", false), true);

    // Each edge's scores over the positions add up to the score of the run without positions.
    const double scale = largestMagnitude(collapsed.scores);
    ASSERT_GT(scale, 1e-3) << "all scores vanish: the test would test nothing";
    const std::vector<double> sums = summedOverPositions(perPosition);
    for (int64_t e = 0; e < g.edgeCount(); ++e) {
        const auto i = static_cast<size_t>(e);
        EXPECT_NEAR(sums[i], collapsed.scores[i], 1e-5 * scale) << g.edgeName(e);
        EXPECT_NEAR(perPosition.scores[i], collapsed.scores[i], 1e-5 * scale) << g.edgeName(e);
    }
    // Edges into the logits score at the last position only (the logits read it alone); the
    // other edges spread their scores over positions.
    int spread = 0;
    for (int64_t e = 0; e < g.edgeCount(); ++e) {
        const bool intoLogits = g.edgeReceiver(e) == g.logitsReceiver();
        int nonzero = 0;
        for (int64_t p = 0; p < kPairLength; ++p) {
            const float s = perPosition.positionScore(e, p);
            if (intoLogits && p < kPairLength - 1) {
                EXPECT_EQ(s, 0.0f) << g.edgeName(e) << " at " << p;
            }
            nonzero += std::fabs(s) > 1e-7 * scale;
        }
        spread += nonzero > 1;
    }
    EXPECT_GT(spread, g.edgeCount() / 4);
}

INSTANTIATE_TEST_SUITE_P(Methods, PerPositionScores,
                         ::testing::Values(PositionCase{"EapGpt2", gpt2Config(), 0},
                                           PositionCase{"EapIgLlamaGqa", llamaGqaConfig(), 3},
                                           PositionCase{"EapQwen2", qwen2Config(), 0}),
                         [](const ::testing::TestParamInfo<PositionCase>& info) {
                             return info.param.name;
                         });

class PositionPatching : public ::testing::Test {
protected:
    void SetUp() override {
        model = randomModel(llamaGqaConfig(), 9);
        pairs = randomPairs(model->config().vocabSize, 3, kPairLength, 2);
        patcher = std::make_unique<EdgePatcher>(*model, pairs);
        edges = patcher->graph().edgeCount();
    }
    // A kept-cell mask from a kept-edge mask: the same edges at every position.
    std::vector<uint8_t> atEveryPosition(const std::vector<uint8_t>& kept) const {
        std::vector<uint8_t> cells;
        for (uint8_t k : kept)
            cells.insert(cells.end(), kPairLength, k);
        return cells;
    }

    std::shared_ptr<capture::TransformerModel> model;
    std::vector<PromptPair> pairs;
    std::unique_ptr<EdgePatcher> patcher;
    int64_t edges = 0;
};

TEST_F(PositionPatching, RemovingAnEdgeAtEveryPositionIsRemovingTheEdge) {
    const EdgeGraph& g = patcher->graph();
    const std::vector<int64_t> chosen{
        g.edgeIndex(g.inputNode(), g.qReceiver(0, 1)),
        g.edgeIndex(g.inputNode(), g.kReceiver(1, 0)),
        g.edgeIndex(g.headNode(0, 2), g.vReceiver(2, 1)),
        g.edgeIndex(g.mlpNode(0), g.mlpReceiver(1)),
        g.edgeIndex(g.headNode(2, 3), g.logitsReceiver()),
        g.edgeIndex(g.inputNode(), g.logitsReceiver()),
    };
    for (int64_t e : chosen) {
        ASSERT_GE(e, 0);
        std::vector<uint8_t> kept(static_cast<size_t>(edges), 1);
        kept[static_cast<size_t>(e)] = 0;
        const double removed = patcher->evaluate(kept);
        EXPECT_NEAR(patcher->evaluateAtPositions(atEveryPosition(kept)), removed, 1e-5)
            << g.edgeName(e);
        EXPECT_GT(std::fabs(removed - patcher->fullModel()), 1e-6)
            << g.edgeName(e) << ": removing it changes nothing, so the test would not see a bug";
    }
    // A random circuit of a third of the edges, whole edges as cells.
    std::mt19937 random(3);
    std::bernoulli_distribution keep(1.0 / 3.0);
    std::vector<uint8_t> kept(static_cast<size_t>(edges));
    for (auto& k : kept)
        k = keep(random) ? 1 : 0;
    at::Tensor edgeLogits, cellLogits;
    const double byEdges = patcher->evaluate(kept, &edgeLogits);
    EXPECT_NEAR(patcher->evaluateAtPositions(atEveryPosition(kept), &cellLogits), byEdges, 1e-5);
    EXPECT_LT((edgeLogits - cellLogits).abs().max().item<double>(), 1e-4);
    // Every cell kept is the full model, none the empty circuit.
    const auto cells = static_cast<size_t>(edges * kPairLength);
    EXPECT_NEAR(patcher->evaluateAtPositions(std::vector<uint8_t>(cells, 1)), patcher->fullModel(),
                1e-5);
    EXPECT_NEAR(patcher->evaluateAtPositions(std::vector<uint8_t>(cells, 0)),
                patcher->emptyCircuit(), 1e-5);
}

TEST_F(PositionPatching, SinglePositionsAreLocalAndTheLogitsReadTheLast) {
    const EdgeGraph& g = patcher->graph();
    const auto cells = static_cast<size_t>(edges * kPairLength);
    // An edge into the logits removed before the last position changes nothing at all.
    const int64_t toLogits = g.edgeIndex(g.headNode(2, 1), g.logitsReceiver());
    std::vector<uint8_t> kept(cells, 1);
    for (int64_t p = 0; p < kPairLength - 1; ++p)
        kept[static_cast<size_t>(toLogits * kPairLength + p)] = 0;
    EXPECT_NEAR(patcher->evaluateAtPositions(kept), patcher->fullModel(), 1e-6);
    kept[static_cast<size_t>(toLogits * kPairLength + kPairLength - 1)] = 0;
    EXPECT_GT(std::fabs(patcher->evaluateAtPositions(kept) - patcher->fullModel()), 1e-6);

    // A layer-0 edge removed at one position: the effect differs from position to position,
    // and the removals at the positions together are the removal of the edge.
    const int64_t early = g.edgeIndex(g.inputNode(), g.vReceiver(0, 0));
    std::vector<double> effects;
    for (int64_t p = 0; p < kPairLength; ++p) {
        std::vector<uint8_t> one(cells, 1);
        one[static_cast<size_t>(early * kPairLength + p)] = 0;
        effects.push_back(patcher->evaluateAtPositions(one) - patcher->fullModel());
    }
    EXPECT_NE(effects.front(), effects.back());
    std::vector<uint8_t> edgeOut(static_cast<size_t>(edges), 1);
    edgeOut[static_cast<size_t>(early)] = 0;
    EXPECT_GT(std::fabs(patcher->evaluate(edgeOut) - patcher->fullModel()), 1e-6);
}

TEST(PositionCircuits, PairsOfDifferentLengthsAreRefusedWithTheReason) {
    auto model = randomModel(gpt2Config(), 1);
    auto pairs = randomPairs(model->config().vocabSize, 2, 5, 1);
    auto longer = randomPairs(model->config().vocabSize, 1, 7, 2);
    pairs.push_back(longer.front());
    EdgePatcher patcher(*model, pairs);
    EXPECT_EQ(patcher.positionCount(), 0);
    try {
        eap(patcher, {}, true);
        FAIL() << "per-position scores over pairs of 5 and 7 tokens";
    } catch (const capture::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("one token length"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("5 to 7 tokens"), std::string::npos) << e.what();
    }
    EXPECT_THROW(patcher.evaluateAtPositions(std::vector<uint8_t>(10, 1)), capture::InputError);
    // The collapsed scores still work for these pairs.
    EXPECT_NO_THROW(eap(patcher));

    EdgePatcher oneLength(*model, randomPairs(model->config().vocabSize, 2, 5, 3));
    EXPECT_THROW(oneLength.evaluateAtPositions(std::vector<uint8_t>(10, 1)), std::invalid_argument);
}

// A random circuit with per-position scores (a NaN among them, as an unscored edge has).
Circuit withPositions(Circuit c, int64_t positions, uint32_t seed) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> score(-1.0f, 1.0f);
    c.positions = positions;
    c.positionScores.resize(static_cast<size_t>(c.graph.edgeCount() * positions));
    for (float& s : c.positionScores)
        s = score(random);
    c.positionScores[7] = NAN;
    c.positionScores[8] = -0.0f;
    return c;
}

void expectSamePositions(const Circuit& a, const Circuit& b) {
    ASSERT_EQ(a.positions, b.positions);
    ASSERT_EQ(a.positionScores.size(), b.positionScores.size());
    for (size_t i = 0; i < a.positionScores.size(); ++i) {
        if (std::isnan(a.positionScores[i]))
            EXPECT_TRUE(std::isnan(b.positionScores[i])) << i;
        else
            EXPECT_EQ(a.positionScores[i], b.positionScores[i]) << i;
    }
    EXPECT_EQ(circuitToJson(a), circuitToJson(b));  // and everything else
}

TEST(PositionCircuits, ThePositionsAxisRoundTripsThroughHdf5AndJson) {
    attnscope::test::TempDir dir;
    for (const auto& [layers, heads, kv] : {std::tuple{3, 4, 4}, std::tuple{2, 8, 2}}) {
        const Circuit c = withPositions(randomCircuit(layers, heads, kv, 5), 9, 11);
        for (const char* name : {"c.h5", "c.json"}) {
            writeCircuitFile(dir.file(name), c);
            expectSamePositions(c, readCircuitFile(dir.file(name)));
        }
        // The edge table's rows in another order still put each edge's positions right.
        store::CircuitRecord record = circuitToRecord(c);
        std::swap(record.sender[0], record.sender[5]);
        std::swap(record.receiver[0], record.receiver[5]);
        std::swap(record.port[0], record.port[5]);
        std::swap(record.score[0], record.score[5]);
        std::swap(record.kept[0], record.kept[5]);
        std::swap_ranges(record.positionScore.begin(), record.positionScore.begin() + 9,
                         record.positionScore.begin() + 5 * 9);
        expectSamePositions(c, circuitFromRecord(record, "shuffled"));
    }
    // A circuit without positions stays without them.
    const Circuit plain = randomCircuit(2, 4, 4, 1);
    writeCircuitFile(dir.file("plain.h5"), plain);
    EXPECT_FALSE(readCircuitFile(dir.file("plain.h5")).hasPositionScores());
    EXPECT_FALSE(circuitFromJson(circuitToJson(plain), "plain.json").hasPositionScores());
}

TEST(PositionCircuits, BadPositionScoresAreRefusedNamingTheKey) {
    const Circuit c = withPositions(randomCircuit(2, 4, 4, 3), 4, 1);
    const std::string text = circuitToJson(c);
    auto expectError = [](const std::string& json, const std::string& needle) {
        try {
            circuitFromJson(json, "bad.json");
            FAIL() << "accepted: " << needle;
        } catch (const CircuitFormatError& e) {
            EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    std::string shortArray = text;
    shortArray.replace(shortArray.find("\"position_scores\":["),
                       std::string("\"position_scores\":[").size(), "\"position_scores\":[1,");
    expectError(shortArray, "attnscope.position_scores: expected an array of");
    std::string zero = text;
    zero.replace(zero.find("\"positions\":4"), std::string("\"positions\":4").size(),
                 "\"positions\":0");
    expectError(zero, "attnscope.positions");
    std::string word = text;  // the first value replaced by a string
    const size_t first =
        word.find("\"position_scores\":[") + std::string("\"position_scores\":[").size();
    word.replace(first, word.find(',', first) - first, "\"x\"");
    expectError(word, "attnscope.position_scores[0]: expected a number");

    // A record whose position scores do not fit its rows is refused by the writer.
    store::CircuitRecord record = circuitToRecord(c);
    record.positionScore.pop_back();
    attnscope::test::TempDir dir;
    EXPECT_THROW(circuitFromRecord(record, "short"), CircuitFormatError);
    Circuit mismatched = c;
    mismatched.positionScores.pop_back();
    EXPECT_THROW(writeCircuitFile(dir.file("m.h5"), mismatched), CircuitFormatError);
}

// An HDF5 file whose position_score dataset lies about its shape.
TEST(PositionCircuits, ALyingPositionScoreDatasetIsRefused) {
    attnscope::test::TempDir dir;
    const Circuit c = withPositions(randomCircuit(2, 4, 4, 3), 4, 1);
    const std::string path = dir.file("lying.h5");
    writeCircuitFile(path, c);
    {
        const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(file, 0);
        const hid_t group = H5Gopen2(file, "/results/circuits/circuit", H5P_DEFAULT);
        ASSERT_GE(group, 0);
        ASSERT_GE(H5Ldelete(group, "position_score", H5P_DEFAULT), 0);
        const hsize_t dims[2] = {3, 4};  // three rows for a table of many more edges
        const hid_t space = H5Screate_simple(2, dims, nullptr);
        const hid_t set = H5Dcreate2(group, "position_score", H5T_IEEE_F32LE, space, H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT);
        const float zeros[12] = {};
        H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
        H5Dclose(set);
        H5Sclose(space);
        H5Gclose(group);
        H5Fclose(file);
    }
    try {
        readCircuitFile(path);
        FAIL() << "a 3-row position_score accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("position_score"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace attnscope::analysis::circuits::test
