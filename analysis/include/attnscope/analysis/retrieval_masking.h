#pragma once
// §2.4 masking experiment: needle recall with the top-K retrieval heads masked, against K random
// heads outside the top set, against no masking.
#include <cstdint>
#include <vector>

#include "attnscope/analysis/head_table.h"
#include "attnscope/analysis/needle_retrieval.h"

namespace attnscope::analysis {

/// `count` heads drawn uniformly without replacement (seeded mt19937) from the layers x heads
/// heads not in `exclude` (clean §2.4: the random heads exclude the top set). With
/// `compatReference` nothing is excluded, as the reference's tuple-vs-list test never matches
/// [QUIRK]. Returned in row-major order. Throws capture::InputError if fewer than `count` heads
/// are eligible.
std::vector<HeadId> randomHeadsOutside(int layers, int heads, const std::vector<HeadId>& exclude,
                                       int count, std::uint32_t seed, bool compatReference = false);

struct MaskingOptions {
    int topK = 30;  ///< RH README: 30
    /// Size of the top set the random heads avoid (RH: block_list = the top 100 heads); the
    /// effective exclusion is max(topK, excludeTop), capped so that topK heads remain.
    int excludeTop = 100;
    std::uint32_t seed = 0;
    bool compatReference = false;
    NeedleDecodeOptions decode;  ///< its maskedHeads are ignored
};

struct MaskingExperiment {
    std::vector<HeadId> top;     ///< the masked top-K heads by retrieval score
    std::vector<HeadId> random;  ///< the K random heads outside the top set
    RecallGrid none;             ///< no masking
    RecallGrid topMasked;
    RecallGrid randomMasked;
};

/// Runs the three decodes of every instance. `scores` ranks the heads (NaN scores are never in
/// the top set). Throws capture::InputError if topK < 1 or exceeds the number of heads.
MaskingExperiment runMaskingExperiment(capture::TransformerModel& model,
                                       const capture::Tokenizer* tokenizer,
                                       const std::vector<NeedleInstance>& instances,
                                       const HeadTable& scores, const MaskingOptions& options,
                                       const capture::Progress& progress = {});

}  // namespace attnscope::analysis
