#pragma once
// Makes the demo model's needle recall rest on chosen retrieval heads (TrainOptions::
// retrievalHeads), so that the retrieval analyses have a ground truth by construction.
#include <ATen/ATen.h>

#include <vector>

#include "attnscope/app/demo/demo_example.h"
#include "attnscope/app/demo/demo_random.h"
#include "attnscope/app/demo/demo_trainer.h"
#include "attnscope/capture/hook_registry.h"

namespace attnscope::capture {
class TransformerModel;
}

namespace attnscope::app::demo {

/// While alive, hooks every layer's attention pattern during a forward of a batch of needle
/// examples. At the answer positions it
/// - replaces the rows of `retrievalDropout` random heads per example, drawn from the heads
///   that are not retrieval heads, by uniform causal attention (what the retrieval masking
///   experiment's zeroed query does), so that recall does not hinge on any of them;
/// - sums every non-retrieval head's attention on the secret; `penalty()` is its mean over the
///   examples and those heads, per answer position (0 to 1).
class NeedleHeadShaping {
public:
    NeedleHeadShaping(capture::TransformerModel& model, const TrainOptions& options,
                      const std::vector<Example>& examples, int64_t length, Rng& rng);
    at::Tensor penalty() const;

private:
    void onPattern(at::Tensor& pattern, int64_t layer);

    capture::HookScope m_scope;
    at::Tensor m_secret;   // [B, 1, T, T]: 1/n at (answer query, secret key)
    at::Tensor m_others;   // [L, H]: 1 for heads that are not retrieval heads
    at::Tensor m_dropped;  // [L, B, H, T, 1]: 1 at the answer rows of dropped heads
    at::Tensor m_uniform;  // [T, T]: causal uniform rows
    at::Tensor m_sum;
    double m_divisor = 0.0;
};

}  // namespace attnscope::app::demo
