#include "attnscope/analysis/sahara_search.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

SaharaResult saharaSearch(int layers, int heads, int steps, const HeadSetScoreFn& gships,
                          const capture::Progress& progress) {
    if (layers < 1 || heads < 1) {
        throw std::invalid_argument("saharaSearch: need at least one layer and one head");
    }
    const int total = layers * heads;
    if (steps < 1 || steps > total) {
        throw std::invalid_argument("saharaSearch: steps must lie in [1, " + std::to_string(total) +
                                    "], got " + std::to_string(steps));
    }
    if (!gships) throw std::invalid_argument("saharaSearch: no scoring function");

    // Evaluations over all steps: total + (total - 1) + ... + (total - steps + 1).
    const int evaluations = steps * total - steps * (steps - 1) / 2;
    int done = 0;
    SaharaResult result;
    HeadTable inSet(layers, heads, 0.0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int step = 0; step < steps; ++step) {
        HeadTable scores(layers, heads, nan);
        std::vector<HeadId> candidate = result.selected;
        candidate.push_back({});
        bool found = false;
        HeadId best;
        double bestScore = -std::numeric_limits<double>::infinity();
        for (int l = 0; l < layers; ++l) {
            for (int h = 0; h < heads; ++h) {
                if (inSet.at(l, h) != 0.0) continue;
                progress.check();
                candidate.back() = HeadId{l, h};
                const double s = gships(candidate);
                scores.at(l, h) = s;
                if (!std::isnan(s) && (!found || s > bestScore)) {
                    found = true;
                    bestScore = s;
                    best = HeadId{l, h};
                }
                ++done;
                progress.report(double(done) / double(evaluations), "Sahara search");
            }
        }
        if (!found) {
            throw std::runtime_error("saharaSearch: every candidate of step " +
                                     std::to_string(step) + " scored NaN");
        }
        result.selected.push_back(best);
        inSet.at(best) = 1.0;
        result.stepScores.push_back(std::move(scores));
    }
    return result;
}

}  // namespace attnscope::analysis
