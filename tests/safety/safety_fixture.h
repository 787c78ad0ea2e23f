#pragma once
// Shared by the safety tests: the parity fixture models with prompts, and independent
// (one-forward-per-ablation) reference computations built only from the capture runtime.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "attnscope/analysis/ablation_sweep.h"
#include "attnscope/capture/transformer_model.h"

namespace attnscope::analysis::test {

/// The parity fixture `name` (nullptr when missing: the caller skips).
std::shared_ptr<capture::TransformerModel> loadParityModel(const std::string& name);

/// `count` seeded random prompts of lengths 5, 6, ... over the model's vocabulary.
std::vector<std::vector<int64_t>> randomPrompts(const capture::TransformerModel& model, int count,
                                                uint64_t seed = 7);

/// One plain forward of `ids` with `heads` scaled by eps (hooks written in the test): last-position
/// logits [vocab] and final hidden state [d_model] (captured ln_final.hook_normalized).
struct SingleRun {
    at::Tensor logits;
    at::Tensor hidden;
};
SingleRun singleForward(capture::TransformerModel& model, const std::vector<int64_t>& ids,
                        const HeadSet& heads, MaskTarget target, double eps);

}  // namespace attnscope::analysis::test
