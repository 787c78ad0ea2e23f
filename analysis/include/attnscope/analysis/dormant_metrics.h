#pragma once

#include <Eigen/Core>
#include <vector>

#include "attnscope/analysis/attention_map.h"
#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {

/// §4.4 sink logit gap of query `query` from one head's pre-softmax logits S [T, T]:
///
///     dLogit[q] = S[q, 0] - mean_{k <= q} S[q, k]
///
/// The AD notebook averages over the whole recorded row [UNVERIFIED masking]; the tool choice
/// averages over the visible keys k <= q only, so masked (-inf) entries above the diagonal are
/// ignored. Throws std::invalid_argument for a non-square or empty S, a query out of range, or
/// a non-finite visible logit.
double sinkLogitGap(const Eigen::MatrixXf& logits, int query);

/// sinkLogitGap for every query q = 0..T-1 (q = 0 gives 0).
Eigen::VectorXd sinkLogitGaps(const Eigen::MatrixXf& logits);

/// §4.4 value-state drain: ||W_O^h v_t||_2 for every token t, with W_O^h = o_proj.weight[:,
/// h*d:(h+1)*d] of shape [D, d] and the head's (KV head's) values v of shape [T, d].
/// Throws std::invalid_argument on empty inputs or mismatched d.
Eigen::VectorXd valueDrainNorms(const Eigen::MatrixXf& outputWeight, const Eigen::MatrixXf& values);

/// §4.4 sink tokens of a head: the `count` keys with the largest alpha (default top-2), in
/// decreasing alpha; ties go to the lower index. Throws std::invalid_argument if count < 1 or
/// alpha has fewer than `count` keys.
std::vector<int> topSinkKeys(const Eigen::VectorXd& alpha, int count = 2);

/// Sink-token norms against the other tokens' norms (§4.4: sinks have markedly smaller norms).
struct ValueDrainComparison {
    double sinkMean = 0.0;    ///< mean norm over the sink tokens
    double nonSinkMin = 0.0;  ///< min norm over the other tokens
    double nonSinkMax = 0.0;  ///< max norm over the other tokens
};

/// Compares per-token norms of the sink tokens with the rest. Throws std::invalid_argument if
/// sinkKeys is empty, holds an index out of range or a duplicate, or covers every token.
ValueDrainComparison compareValueDrain(const Eigen::VectorXd& norms,
                                       const std::vector<int>& sinkKeys);

/// §4.4 residual-state peak of one layer: ||x[t]||_2 of BOS (t = 0) against max_{t >= 1}.
struct ResidualPeak {
    double bosNorm = 0.0;
    double maxOtherNorm = 0.0;
    int argmaxOther = 1;  ///< the t >= 1 reaching maxOtherNorm (lowest on ties)
    double ratio = 0.0;   ///< bosNorm / maxOtherNorm (+inf if maxOtherNorm is 0)
};

/// Residual stream x_post_mlp[l] of shape [T, D], T >= 2. Throws std::invalid_argument.
ResidualPeak residualPeak(const Eigen::MatrixXf& residual);

/// Parameters of the tool's dormant rule [UNVERIFIED defaults, keep user-facing].
struct DormantParams {
    /// The head is sink-dominated when mean_q A[q, 0] (= alpha[0]) >= this.
    double bosThreshold = 0.9;
    /// Zeroing the head is harmless when |delta CE| < this (nats).
    double lossDelta = 0.01;
};

/// Both components of the rule for every head, reported separately (§4.4).
struct DormantVerdicts {
    HeadTable sinkDominated;  ///< 1.0 where bosMass >= bosThreshold
    HeadTable lossNeutral;    ///< 1.0 where |deltaCe| < lossDelta
    HeadTable dormant;        ///< 1.0 where both hold
};

/// §4.4 tool rule: dormant(l,h | input) = mean_q A[l,h,q,0] >= bosThreshold AND
/// |dCE when zeroed| < lossDelta. Note mean_q A[q,0] and alpha[0] are the same number, so the
/// spec's two forms of the first test agree. Throws std::invalid_argument when the tables'
/// shapes differ or a value is NaN.
DormantVerdicts dormantRule(const HeadTable& bosMass, const HeadTable& deltaCe,
                            const DormantParams& params = {});

/// Mean attention on BOS, mean_q A[q, 0], of one head's causal map (= alpha[0]).
double bosMass(const AttentionMap& attention);

}  // namespace attnscope::analysis
