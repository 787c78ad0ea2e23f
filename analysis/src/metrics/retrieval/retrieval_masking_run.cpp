#include "attnscope/analysis/retrieval_masking.h"

#include <algorithm>
#include <random>
#include <set>

#include "attnscope/capture/load_error.h"

namespace attnscope::analysis {

std::vector<HeadId> randomHeadsOutside(int layers, int heads, const std::vector<HeadId>& exclude,
                                       int count, std::uint32_t seed, bool compatReference) {
    std::set<HeadId> excluded;
    if (!compatReference) excluded.insert(exclude.begin(), exclude.end());
    std::vector<HeadId> pool;
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h)
            if (excluded.count({l, h}) == 0) pool.push_back({l, h});
    if (count < 0 || static_cast<std::size_t>(count) > pool.size())
        throw capture::InputError("cannot draw " + std::to_string(count) + " random heads: only " +
                                  std::to_string(pool.size()) + " heads lie outside the top set");
    std::mt19937 rng(seed);
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(static_cast<std::size_t>(count));
    std::sort(pool.begin(), pool.end());
    return pool;
}

MaskingExperiment runMaskingExperiment(capture::TransformerModel& model,
                                       const capture::Tokenizer* tokenizer,
                                       const std::vector<NeedleInstance>& instances,
                                       const HeadTable& scores, const MaskingOptions& options,
                                       const capture::Progress& progress) {
    if (options.topK < 1 || options.topK > scores.size())
        throw capture::InputError("top_k must lie in 1.." + std::to_string(scores.size()) +
                                  ", got " + std::to_string(options.topK));
    MaskingExperiment out;
    out.top = topHeads(scores, options.topK);
    if (static_cast<int>(out.top.size()) < options.topK)
        throw capture::InputError("only " + std::to_string(out.top.size()) +
                                  " heads have a retrieval score; cannot mask the top " +
                                  std::to_string(options.topK));
    // Small models have fewer than excludeTop + K heads: keep K heads to draw from.
    const int exclusion =
        std::max(options.topK, std::min(options.excludeTop, scores.size() - options.topK));
    const auto excluded = topHeads(scores, exclusion);
    out.random = randomHeadsOutside(scores.layers, scores.heads, excluded, options.topK,
                                    options.seed, options.compatReference);
    auto run = [&](const std::vector<HeadId>& masked, int phase) {
        NeedleDecodeOptions d = options.decode;
        d.maskedHeads = masked;
        return decodeNeedleGrid(model, tokenizer, instances, d, nullptr,
                                progress.part(phase / 3.0, (phase + 1) / 3.0));
    };
    out.none = run({}, 0);
    out.topMasked = run(out.top, 1);
    out.randomMasked = run(out.random, 2);
    return out;
}

}  // namespace attnscope::analysis
