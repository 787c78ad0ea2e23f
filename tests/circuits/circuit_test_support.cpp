#include "circuit_test_support.h"

#include <cmath>
#include <random>

namespace attnscope::analysis::circuits::test {

Circuit randomCircuit(int layers, int heads, int kvHeads, uint32_t seed, double keptShare) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> score(-1.0f, 1.0f);
    std::bernoulli_distribution kept(keptShare);
    Circuit c;
    c.graph = EdgeGraph(layers, heads, kvHeads);
    c.method = "eap-ig";
    c.metric = "logit-diff";
    c.ablation = "resample";
    c.parameters = {{"steps", 5}, {"dataset", "pairs \xC3\xA9.jsonl"}, {"d_model", 64}};
    c.modelFingerprint = "sha256:" + std::to_string(seed);
    const auto edges = static_cast<size_t>(c.graph.edgeCount());
    for (size_t e = 0; e < edges; ++e) {
        // Scores on a grid of 1/64 so that some are tied exactly.
        c.scores.push_back(std::round(score(random) * 64.0f) / 64.0f);
        c.inCircuit.push_back(kept(random) ? 1 : 0);
    }
    c.scores[edges / 2] = NAN;
    for (double percent : faithfulnessGridPercent())
        c.curve.push_back({percent / 100.0,
                           static_cast<int64_t>(std::ceil(percent / 100.0 * double(edges))),
                           std::sqrt(percent / 100.0)});
    c.cpr = 0.75;
    c.cmd = 0.25;
    return c;
}

}  // namespace attnscope::analysis::circuits::test
