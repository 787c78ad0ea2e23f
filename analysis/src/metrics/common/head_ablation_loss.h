#pragma once
// The loss change when one head's output is zeroed (§4.4 ΔCE), for every head of a model.
#include <ATen/ATen.h>

#include <vector>

#include "attnscope/analysis/head_table.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::analysis {

/// Mean next-token cross-entropy (nats) of `ids` from logits [batch, T, V]: for every batch row,
/// mean over t = 0..T-2 of -log softmax(logits[t])[ids[t+1]]. Returns [batch] (double).
at::Tensor meanNextTokenCe(const at::Tensor& logits, const std::vector<int64_t>& ids);

/// ΔCE[l,h] = CE with head (l,h)'s z zeroed at every position - CE of the plain model. One
/// forward of batch H per layer (batch row h ablates head h). Throws capture::InputError for
/// fewer than 2 tokens.
HeadTable zeroAblationDeltaCe(capture::TransformerModel& model, const std::vector<int64_t>& ids);

}  // namespace attnscope::analysis
