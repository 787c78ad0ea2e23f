// Kept apart from metric.h: sahara_search.h declares a ProgressFn of its own in the same
// namespace, so the two headers cannot share a translation unit.
#include "attnscope/analysis/sahara_sweep.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "attnscope/analysis/gships.h"
#include "attnscope/analysis/sahara_search.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis {
namespace {

// ablated[a] = M_A of sets[a]: row n is prompt n's final state with sets[a] ablated. The sweeps
// throw capture::Cancelled when cancelled.
std::vector<SweepRows> ablatedStates(capture::TransformerModel& model,
                                     const std::vector<std::vector<int64_t>>& prompts,
                                     const std::vector<HeadSet>& sets, const AblationSpec& spec,
                                     const GShipsOptions& options) {
    if (prompts.empty()) throw capture::InputError("generalized Ships needs at least one prompt");
    const Eigen::Index n = static_cast<Eigen::Index>(prompts.size());
    std::vector<SweepRows> out(sets.size(), SweepRows(n, model.config().dModel));
    SweepOptions sweep;
    sweep.batchSize = options.batchSize;
    sweep.output = SweepOutput::FinalHidden;
    for (Eigen::Index p = 0; p < n; ++p) {
        sweep.progress = options.progress.part(double(p) / double(n), double(p + 1) / double(n));
        const SweepRows rows =
            ablationSweep(model, prompts[static_cast<std::size_t>(p)], sets, spec, sweep);
        for (std::size_t a = 0; a < sets.size(); ++a)
            out[a].row(p) = rows.row(static_cast<Eigen::Index>(a));
    }
    return out;
}

double angle(const SweepRows& base, const SweepRows& ablated, int rank) {
    return gshipsAngle(Eigen::MatrixXf(base), Eigen::MatrixXf(ablated), rank);
}

}  // namespace

SweepRows finalHiddenStates(capture::TransformerModel& model,
                            const std::vector<std::vector<int64_t>>& prompts, const HeadSet& heads,
                            const AblationSpec& spec, const GShipsOptions& options) {
    return ablatedStates(model, prompts, {heads}, spec, options)[0];
}

std::vector<double> gshipsOfSets(capture::TransformerModel& model,
                                 const std::vector<std::vector<int64_t>>& prompts,
                                 const std::vector<HeadSet>& sets, const AblationSpec& spec,
                                 const GShipsOptions& options) {
    if (options.rank < 1) throw capture::InputError("rank must be at least 1");
    GShipsOptions quiet = options;
    quiet.progress = capture::Progress({}, options.progress.token());
    const SweepRows base = finalHiddenStates(model, prompts, {}, spec, quiet);
    const auto ablated = ablatedStates(model, prompts, sets, spec, options);
    std::vector<double> out;
    for (const auto& m : ablated)
        out.push_back(angle(base, m, options.rank));
    return out;
}

SaharaSweepResult saharaSweep(capture::TransformerModel& model,
                              const std::vector<std::vector<int64_t>>& prompts, int steps,
                              const AblationSpec& spec, const GShipsOptions& options) {
    const int layers = static_cast<int>(model.config().nLayers);
    const int heads = maskHeadCount(model, spec.target);
    if (steps < 1 || steps > layers * heads)
        throw capture::InputError("search_step must be between 1 and " +
                                  std::to_string(layers * heads) + ", got " +
                                  std::to_string(steps));
    if (options.rank < 1 || options.rank > static_cast<int>(prompts.size()))
        throw capture::InputError("rank must be between 1 and the number of prompts (" +
                                  std::to_string(prompts.size()) + ")");
    GShipsOptions quiet = options;
    quiet.progress = capture::Progress({}, options.progress.token());
    const SweepRows base = finalHiddenStates(model, prompts, {}, spec, quiet);
    SaharaSweepResult result;

    // saharaSearch asks for GShips(S u {h}) one candidate at a time, S first; the first request
    // of a step evaluates every candidate of that step in batched sweeps.
    HeadSet cachedPrefix;
    bool haveStep = false;
    std::map<std::pair<int, int>, double> stepScores;
    int stepIndex = 0;
    const HeadSetScoreFn score = [&](const std::vector<HeadId>& set) {
        const HeadSet prefix(set.begin(), set.end() - 1);
        if (!haveStep || prefix != cachedPrefix) {
            cachedPrefix = prefix;
            haveStep = true;
            stepScores.clear();
            std::vector<HeadSet> candidates;
            std::vector<HeadId> added;
            for (int l = 0; l < layers; ++l)
                for (int h = 0; h < heads; ++h) {
                    const HeadId id{l, h};
                    if (std::find(prefix.begin(), prefix.end(), id) != prefix.end()) continue;
                    candidates.push_back(prefix);
                    candidates.back().push_back(id);
                    added.push_back(id);
                }
            GShipsOptions stepOptions = options;
            stepOptions.progress =
                options.progress.part(double(stepIndex) / steps, double(stepIndex + 1) / steps);
            const auto ablated = ablatedStates(model, prompts, candidates, spec, stepOptions);
            ++stepIndex;
            for (std::size_t c = 0; c < added.size(); ++c)
                stepScores[{added[c].layer, added[c].head}] = angle(base, ablated[c], options.rank);
        }
        return stepScores.at({set.back().layer, set.back().head});
    };
    // The sweeps report progress per step (above); the search only polls the token.
    SaharaResult r =
        saharaSearch(layers, heads, steps, score, capture::Progress({}, options.progress.token()));
    result.selected = r.selected;
    result.stepScores = r.stepScores;
    if (!result.stepScores.empty())
        result.selectedScore = result.stepScores.back().at(result.selected.back());
    return result;
}

}  // namespace attnscope::analysis
