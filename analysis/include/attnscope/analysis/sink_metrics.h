#pragma once

#include <Eigen/Core>
#include <vector>

#include "attnscope/analysis/attention_map.h"
#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {

/// §4.1 "StreamingLLM-style sink mass" [UNVERIFIED as an exact replica of the paper's figure]:
///
///     sinkmass = mean_{q >= S} sum_{k < S} A[q, k]      (S = startSize, default 4; also S = 1)
///
/// the share of attention the queries past the start window put on the first S tokens.
/// Throws std::invalid_argument if startSize < 1, if T <= startSize (no query lies past the
/// window, so the mean is undefined), or if `attention` is not a causal map.
double sinkMass(const AttentionMap& attention, int startSize = 4);

/// Received-attention vectors alpha[l, h, :] (§1.2) of every head for one sample.
struct SampleAlphas {
    int layers = 0;
    int heads = 0;
    std::vector<Eigen::VectorXd> perHead;  // [layers * heads], row-major; each [T]

    /// Bounds-checked; throws std::out_of_range.
    const Eigen::VectorXd& at(int layer, int head) const;
};

/// Result of §4.2 over a set of samples.
struct SinkRateResult {
    /// SinkRate_eps[k] = 100 * mean over (samples, layers, heads) of 1[alpha[l,h,k] > eps].
    double ratePercent = 0.0;
    /// mean over samples of alpha[l, h, k].
    HeadTable meanAlpha;
    /// is_sink_head[l, h] = 1.0 if meanAlpha > eps else 0.0.
    HeadTable isSinkHead;
    double eps = 0.3;
    int key = 0;
};

/// §4.2 sink rate of Gu et al. (GU eval_sink_open_source.py::compute_attention_sink):
/// reported for key k = 0 with eps = 0.3 (on T = 64-token prompts), plus the per-head
/// `is_sink_head` = mean over samples of alpha[l,h,k] > eps (strict). Samples may have
/// different lengths. Throws std::invalid_argument if `samples` is empty, the samples' layer
/// and head counts differ, a table is incomplete, or some alpha vector is shorter than key+1.
SinkRateResult sinkRate(const std::vector<SampleAlphas>& samples, double eps = 0.3, int key = 0);

}  // namespace attnscope::analysis
