#pragma once
// Direct logit attribution (spec 7.6): each component's write into the residual stream at the
// last position, passed through the final norm with the full residual's cached scale σ_f (and
// centred for LayerNorm), projected on W_U[answer] − W_U[wrong]. The parts add up to the
// logit difference exactly: embeddings + Σ attention + Σ MLPs + final-norm bias.
#include <cstdint>
#include <vector>

#include "attnscope/analysis/circuits/prompt_pairs.h"
#include "attnscope/capture/progress.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis::circuits {

/// Means over the pairs' clean prompts.
struct DirectLogitAttribution {
    std::vector<std::vector<double>> heads;  ///< [layer][head]: W_O^h z (no output bias)
    std::vector<double> attention;           ///< [layer]: attn_out (every head plus b_O)
    std::vector<double> mlps;                ///< [layer]: mlp_out
    double embeddings = 0.0;                 ///< token (and learned position) embeddings
    double finalNormBias = 0.0;              ///< β of a LayerNorm; 0 for RMSNorm
    double logitDiff = 0.0;                  ///< the model's logit difference
};

/// Throws capture::InputError for bad pairs; capture::Cancelled when cancelled.
DirectLogitAttribution directLogitAttribution(capture::TransformerModel& model,
                                              const std::vector<PromptPair>& pairs,
                                              const capture::Progress& progress = {});

}  // namespace attnscope::analysis::circuits
