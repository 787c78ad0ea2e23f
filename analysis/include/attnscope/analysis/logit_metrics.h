#pragma once

#include <Eigen/Core>
#include <vector>

namespace attnscope::analysis {

/// §6.1/§6.4 logit difference at the last position, averaged over the batch:
///
///     LD = mean_b ( logits[b, correct_b] - logits[b, incorrect_b] )
///
/// `lastLogits` is [batch, V] (the last position of every prompt). Throws
/// std::invalid_argument on an empty batch, mismatched sizes or a token id out of range.
double logitDifference(const Eigen::MatrixXf& lastLogits, const std::vector<int>& correct,
                       const std::vector<int>& incorrect);

/// §6.4 normalised metric (LD - LD_corrupt) / (LD_clean - LD_corrupt): 1 at clean, 0 at
/// corrupt. §6.1's path-patching score (LDp - LD0)/(LDc - LD0) is the same ratio with the
/// clean/corrupt roles swapped. Throws std::invalid_argument when the denominator is 0.
double normalizedLogitDifference(double ld, double ldCorrupt, double ldClean);

/// §6.3 ACDC KL metric (acdc_utils.py::kl_divergence), with F.kl_div(log_softmax(logits),
/// base_logprobs, log_target=True).sum(-1).mean() semantics:
///
///     KL = mean_b sum_v exp(base[b, v]) * ( base[b, v] - log_softmax(logits[b])[v] )
///
/// = KL(p_base || p_model). `lastLogits` [batch, V] are the patched model's last-position
/// logits; `baseLogprobs` [batch, V] the unpatched model's log-probabilities. Computed in
/// double. Throws std::invalid_argument on empty or mismatched shapes.
double acdcKlDivergence(const Eigen::MatrixXf& lastLogits, const Eigen::MatrixXf& baseLogprobs);

}  // namespace attnscope::analysis
