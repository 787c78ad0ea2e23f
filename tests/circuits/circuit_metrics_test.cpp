// ROC AUC, node ROC AUC and circuit overlap against computations written independently here:
// a threshold sweep with trapezoids, and name-based sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "circuit_test_support.h"

namespace attnscope::analysis::circuits::test {
namespace {

// The ROC curve by sweeping every distinct threshold t (predict "in" when key >= t), its area
// by trapezoids. NaN keys rank lowest.
double sweptAuc(const std::vector<double>& key, const std::vector<bool>& truth) {
    std::set<double> thresholds(key.begin(), key.end());
    thresholds.insert(std::numeric_limits<double>::infinity());
    double positives = 0, negatives = 0;
    for (bool t : truth)
        (t ? positives : negatives) += 1;
    std::vector<std::pair<double, double>> points;  // (fpr, tpr)
    for (double t : thresholds) {
        double tp = 0, fp = 0;
        for (size_t i = 0; i < key.size(); ++i)
            if (key[i] >= t) (truth[i] ? tp : fp) += 1;
        points.push_back({fp / negatives, tp / positives});
    }
    std::sort(points.begin(), points.end());
    double area = 0;
    for (size_t i = 1; i < points.size(); ++i)
        area +=
            (points[i].first - points[i - 1].first) * (points[i].second + points[i - 1].second) / 2;
    return area;
}

double keyOf(float s, bool absolute) {
    if (std::isnan(s)) return -std::numeric_limits<double>::infinity();
    return absolute ? std::fabs(double(s)) : double(s);
}

TEST(RocAuc, MatchesAThresholdSweep) {
    for (uint32_t seed : {1u, 2u, 3u}) {
        const Circuit scored = randomCircuit(3, 4, 2, seed);
        const Circuit reference = randomCircuit(3, 4, 2, seed + 100, 0.1);
        for (bool absolute : {true, false}) {
            std::vector<double> key;
            std::vector<bool> truth;
            for (size_t e = 0; e < scored.scores.size(); ++e) {
                key.push_back(keyOf(scored.scores[e], absolute));
                truth.push_back(reference.inCircuit[e] != 0);
            }
            EXPECT_NEAR(rocAuc(scored.scores, reference.inCircuit, absolute), sweptAuc(key, truth),
                        1e-12)
                << "seed " << seed << " absolute " << absolute;
        }
    }
}

TEST(RocAuc, HandCases) {
    EXPECT_DOUBLE_EQ(rocAuc({0.9f, 0.8f, 0.1f, 0.2f}, {1, 1, 0, 0}), 1.0);
    EXPECT_DOUBLE_EQ(rocAuc({0.1f, 0.2f, 0.9f, 0.8f}, {1, 1, 0, 0}), 0.0);
    EXPECT_DOUBLE_EQ(rocAuc({0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 1, 0}), 0.5);
    // Signed: a large negative score ranks low unless absolute.
    EXPECT_DOUBLE_EQ(rocAuc({-0.9f, 0.1f}, {1, 0}, true), 1.0);
    EXPECT_DOUBLE_EQ(rocAuc({-0.9f, 0.1f}, {1, 0}, false), 0.0);
    // One positive above two of three negatives.
    EXPECT_DOUBLE_EQ(rocAuc({0.5f, 0.9f, 0.1f, 0.2f}, {1, 0, 0, 0}), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(rocAuc({NAN, 0.1f}, {1, 0}), 0.0);
}

TEST(RocAuc, RefusesDegenerateReferences) {
    EXPECT_THROW(rocAuc({0.1f, 0.2f}, {0, 0}), std::invalid_argument);
    EXPECT_THROW(rocAuc({0.1f, 0.2f}, {1, 1}), std::invalid_argument);
    EXPECT_THROW(rocAuc({0.1f, 0.2f}, {1}), std::invalid_argument);
}

// Node names of an edge from its name: the sender, and the receiving node (a grouped k/v
// receiver `a{l}.kv{g}` belongs to the group's first head).
std::pair<std::string, std::string> edgeEnds(const std::string& name, int groupSize) {
    const size_t arrow = name.find("->");
    std::string receiver = name.substr(arrow + 2);
    receiver = receiver.substr(0, receiver.find('<'));
    const size_t kv = receiver.find(".kv");
    if (kv != std::string::npos)
        receiver = receiver.substr(0, kv) + ".h" +
                   std::to_string(std::stoi(receiver.substr(kv + 3)) * groupSize);
    return {name.substr(0, arrow), receiver};
}

TEST(RocAuc, NodesMatchASweepOverThresholdedCircuits) {
    const Circuit scored = randomCircuit(2, 4, 2, 5);
    const Circuit reference = randomCircuit(2, 4, 2, 6, 0.03);
    const EdgeGraph& g = scored.graph;
    std::set<std::string> referenceNodes;
    for (int64_t e = 0; e < g.edgeCount(); ++e)
        if (reference.inCircuit[e]) {
            const auto [s, r] = edgeEnds(g.edgeName(e), 2);
            referenceNodes.insert(s);
            referenceNodes.insert(r);
        }
    // Heads and MLPs only; sweep thresholds over |edge score|, a node is in the circuit when
    // an edge at or above the threshold touches it.
    std::vector<std::string> candidates;
    for (size_t n = 0; n < g.nodes().size(); ++n) {
        const std::string name = g.nodeName(int(n));
        if (name != "input" && name != "logits") candidates.push_back(name);
    }
    std::set<double> thresholds{std::numeric_limits<double>::infinity()};
    for (float s : scored.scores)
        thresholds.insert(keyOf(s, true));
    double positives = 0, negatives = 0;
    for (const auto& n : candidates)
        (referenceNodes.count(n) ? positives : negatives) += 1;
    std::vector<std::pair<double, double>> points;
    for (double t : thresholds) {
        std::set<std::string> in;
        for (int64_t e = 0; e < g.edgeCount(); ++e)
            if (keyOf(scored.scores[e], true) >= t) {
                const auto [s, r] = edgeEnds(g.edgeName(e), 2);
                in.insert(s);
                in.insert(r);
            }
        double tp = 0, fp = 0;
        for (const auto& n : candidates)
            if (in.count(n)) (referenceNodes.count(n) ? tp : fp) += 1;
        points.push_back({fp / negatives, tp / positives});
    }
    std::sort(points.begin(), points.end());
    double area = 0;
    for (size_t i = 1; i < points.size(); ++i)
        area +=
            (points[i].first - points[i - 1].first) * (points[i].second + points[i - 1].second) / 2;
    EXPECT_NEAR(nodeRocAuc(g, scored.scores, reference.inCircuit), area, 1e-12);
}

TEST(CircuitOverlap, MatchesNameSets) {
    for (const auto& [heads, kv] : {std::pair{4, 4}, std::pair{4, 2}}) {
        const Circuit a = randomCircuit(3, heads, kv, 21, 0.2);
        const Circuit b = randomCircuit(3, heads, kv, 22, 0.3);
        std::set<std::string> edgesA, edgesB, headsA, headsB;
        const auto collect = [&](const Circuit& c, std::set<std::string>& edges,
                                 std::set<std::string>& hs) {
            for (int64_t e = 0; e < c.graph.edgeCount(); ++e) {
                if (!c.inCircuit[e]) continue;
                const std::string name = c.graph.edgeName(e);
                edges.insert(name);
                const auto [s, r] = edgeEnds(name, heads / kv);
                for (const std::string& n : {s, r})
                    if (n[0] == 'a') hs.insert(n);
            }
        };
        collect(a, edgesA, headsA);
        collect(b, edgesB, headsB);
        const auto sizes = [](const std::set<std::string>& x, const std::set<std::string>& y) {
            std::set<std::string> both, either = x;
            for (const auto& v : y) {
                if (x.count(v)) both.insert(v);
                either.insert(v);
            }
            return std::pair{double(both.size()), double(either.size())};
        };
        const auto [edgesBoth, edgesEither] = sizes(edgesA, edgesB);
        const auto [headsBoth, headsEither] = sizes(headsA, headsB);
        const CircuitOverlap o = overlap(a, b);
        EXPECT_EQ(o.edgesA, int64_t(edgesA.size()));
        EXPECT_EQ(o.edgesB, int64_t(edgesB.size()));
        EXPECT_EQ(o.headsA, int64_t(headsA.size()));
        EXPECT_EQ(o.headsBoth, int64_t(headsBoth));
        EXPECT_DOUBLE_EQ(o.edgeJaccard, edgesBoth / edgesEither);
        EXPECT_DOUBLE_EQ(o.edgeContainment, edgesBoth / double(edgesA.size()));
        EXPECT_DOUBLE_EQ(o.headJaccard, headsBoth / headsEither);
        EXPECT_DOUBLE_EQ(o.headContainment, headsBoth / double(headsA.size()));
        EXPECT_GT(o.edgesBoth, 0);
        EXPECT_LT(o.edgeJaccard, 1.0);
    }
}

TEST(CircuitOverlap, SelfOverlapIsOneAndShapesMustMatch) {
    const Circuit a = randomCircuit(2, 4, 4, 1);
    const CircuitOverlap self = overlap(a, a);
    EXPECT_DOUBLE_EQ(self.edgeJaccard, 1.0);
    EXPECT_DOUBLE_EQ(self.headContainment, 1.0);
    EXPECT_THROW(overlap(a, randomCircuit(2, 4, 2, 1)), CircuitFormatError);
}

TEST(CircuitFit, RefusesAnotherModel) {
    const Circuit c = randomCircuit(2, 4, 2, 9);
    EXPECT_NO_THROW(checkCircuitFitsModel(c, 2, 4, 2, c.modelFingerprint, "c.h5"));
    EXPECT_NO_THROW(checkCircuitFitsModel(c, 2, 4, 2, "", "c.h5"));
    try {
        checkCircuitFitsModel(c, 2, 4, 2, "sha256:other", "c.h5");
        FAIL();
    } catch (const CircuitFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("c.h5: "), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("fingerprint mismatch"), std::string::npos);
    }
    try {
        checkCircuitFitsModel(c, 3, 4, 2, c.modelFingerprint, "c.h5");
        FAIL();
    } catch (const CircuitFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("another model"), std::string::npos);
    }
}

}  // namespace
}  // namespace attnscope::analysis::circuits::test
