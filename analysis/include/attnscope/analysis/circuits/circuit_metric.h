#pragma once
// The metrics of circuit analysis (issue 13, spec 6.1, 6.3, 6.4) as differentiable functions of
// the last-position logits [batch, vocab] → one value per pair [batch], and the helper that
// stacks prompt pairs into [batch, pos] id tensors. Autograd flows through every metric, so
// attribution patching (6.4) and EAP (6.7) differentiate them directly.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/analysis/circuits/prompt_pairs.h"

namespace attnscope::analysis::circuits {

enum class CircuitMetricKind {
    LogitDiff,            ///< logit[answer] − logit[wrong]
    NormalizedLogitDiff,  ///< (LD − LD_corrupted) / (LD_clean − LD_corrupted): clean 1, corrupted 0
    Kl,                   ///< KL(p_clean ‖ p): the clean run's distribution against this one
    AnswerProbability  ///< softmax(logits)[answer]
};

/// "logit-diff", "normalized-logit-diff", "kl", "answer-prob" (underscores accepted too).
/// Throws capture::InputError for anything else, listing the names.
CircuitMetricKind parseCircuitMetric(const std::string& name);
/// The hyphenated name above.
const char* circuitMetricName(CircuitMetricKind kind);

/// logits [batch, vocab], answer and wrong [batch] (int64) → [batch].
at::Tensor logitDifference(const at::Tensor& logits, const at::Tensor& answer,
                           const at::Tensor& wrong);
/// The logit difference normalised by the clean and corrupted baselines (the means over the
/// pairs, as in the attribution patching demo): 1 at the clean run, 0 at the corrupted one.
at::Tensor normalizedLogitDifference(const at::Tensor& logits, const at::Tensor& answer,
                                     const at::Tensor& wrong, double cleanLogitDiff,
                                     double corruptedLogitDiff);
/// KL(p_clean ‖ p) per pair from the clean run's last-position log-probabilities [batch, vocab]
/// (ACDC's kl_div with log_target, summed over the vocabulary).
at::Tensor klToClean(const at::Tensor& logits, const at::Tensor& cleanLogProbs);
/// softmax(logits)[answer] per pair.
at::Tensor answerProbability(const at::Tensor& logits, const at::Tensor& answer);

/// Pairs of one token length stacked on the batch axis.
struct PromptBatch {
    at::Tensor clean, corrupted;     ///< [batch, pos] int64
    at::Tensor answer, wrong;        ///< [batch] int64
    std::vector<int64_t> pairIndex;  ///< index of each row in the pair list
    int64_t size() const { return static_cast<int64_t>(pairIndex.size()); }
};

/// Groups pairs by token length (a forward needs one length) and stacks each group in
/// batches of at most `maxBatch` rows, as even in size as they can be, in pair order within a
/// group. Throws capture::InputError for an empty list, unequal clean/corrupted lengths or
/// maxBatch < 1.
std::vector<PromptBatch> stackPromptPairs(const std::vector<PromptPair>& pairs,
                                          int64_t maxBatch = 64);

/// A metric with its baselines: the clean log-probabilities (KL) and the clean and corrupted
/// mean logit differences (normalised LD). Evaluate with `perPair(logits, batch)`.
struct CircuitMetric {
    CircuitMetricKind kind = CircuitMetricKind::LogitDiff;
    double cleanLogitDiff = 0.0, corruptedLogitDiff = 0.0;  ///< NormalizedLogitDiff
    /// [pairs, vocab] float32, rows in pair order (KL only): the unpatched clean run.
    at::Tensor cleanLogProbs;

    /// logits [batch.size(), vocab] of the rows of `batch` → [batch.size()].
    at::Tensor perPair(const at::Tensor& logits, const PromptBatch& batch) const;
};

}  // namespace attnscope::analysis::circuits
