#include "attnscope/analysis/dormant_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

namespace {

void requireSquareLogits(const Eigen::MatrixXf& logits, const char* context) {
    if (logits.rows() == 0 || logits.rows() != logits.cols()) {
        throw std::invalid_argument(
            std::string(context) + ": logits must be a non-empty square [T, T] matrix, got [" +
            std::to_string(logits.rows()) + ", " + std::to_string(logits.cols()) + "]");
    }
}

double gapUnchecked(const Eigen::MatrixXf& logits, Eigen::Index q) {
    double sum = 0.0;
    for (Eigen::Index k = 0; k <= q; ++k) {
        const float s = logits(q, k);
        if (!std::isfinite(s)) {
            throw std::invalid_argument("sinkLogitGap: visible logit (" + std::to_string(q) + ", " +
                                        std::to_string(k) + ") is not finite");
        }
        sum += s;
    }
    return double(logits(q, 0)) - sum / static_cast<double>(q + 1);
}

}  // namespace

double sinkLogitGap(const Eigen::MatrixXf& logits, int query) {
    requireSquareLogits(logits, "sinkLogitGap");
    if (query < 0 || query >= logits.rows()) {
        throw std::invalid_argument("sinkLogitGap: query " + std::to_string(query) +
                                    " outside [0, " + std::to_string(logits.rows()) + ")");
    }
    return gapUnchecked(logits, query);
}

Eigen::VectorXd sinkLogitGaps(const Eigen::MatrixXf& logits) {
    requireSquareLogits(logits, "sinkLogitGaps");
    Eigen::VectorXd gaps(logits.rows());
    for (Eigen::Index q = 0; q < logits.rows(); ++q)
        gaps[q] = gapUnchecked(logits, q);
    return gaps;
}

Eigen::VectorXd valueDrainNorms(const Eigen::MatrixXf& outputWeight,
                                const Eigen::MatrixXf& values) {
    if (outputWeight.size() == 0 || values.size() == 0) {
        throw std::invalid_argument("valueDrainNorms: empty W_O slice or values");
    }
    if (outputWeight.cols() != values.cols()) {
        throw std::invalid_argument("valueDrainNorms: W_O slice is [D, " +
                                    std::to_string(outputWeight.cols()) + "] but values are [T, " +
                                    std::to_string(values.cols()) + "]");
    }
    // [T, D] = values [T, d] * W_O^T [d, D]; each row is W_O v_t.
    const Eigen::MatrixXd projected =
        values.cast<double>() * outputWeight.cast<double>().transpose();
    return projected.rowwise().norm();
}

std::vector<int> topSinkKeys(const Eigen::VectorXd& alpha, int count) {
    if (count < 1 || alpha.size() < count) {
        throw std::invalid_argument(
            "topSinkKeys: need 1 <= count <= " + std::to_string(alpha.size()) + ", got " +
            std::to_string(count));
    }
    std::vector<int> order(static_cast<std::size_t>(alpha.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return alpha[a] > alpha[b]; });
    order.resize(static_cast<std::size_t>(count));
    return order;
}

ValueDrainComparison compareValueDrain(const Eigen::VectorXd& norms,
                                       const std::vector<int>& sinkKeys) {
    if (sinkKeys.empty()) throw std::invalid_argument("compareValueDrain: no sink keys");
    std::vector<bool> isSink(static_cast<std::size_t>(norms.size()), false);
    double sinkSum = 0.0;
    for (int k : sinkKeys) {
        if (k < 0 || k >= norms.size()) {
            throw std::invalid_argument("compareValueDrain: sink key " + std::to_string(k) +
                                        " outside [0, " + std::to_string(norms.size()) + ")");
        }
        if (isSink[static_cast<std::size_t>(k)]) {
            throw std::invalid_argument("compareValueDrain: duplicate sink key " +
                                        std::to_string(k));
        }
        isSink[static_cast<std::size_t>(k)] = true;
        sinkSum += norms[k];
    }
    ValueDrainComparison out;
    out.sinkMean = sinkSum / static_cast<double>(sinkKeys.size());
    out.nonSinkMin = std::numeric_limits<double>::infinity();
    out.nonSinkMax = -std::numeric_limits<double>::infinity();
    bool any = false;
    for (Eigen::Index t = 0; t < norms.size(); ++t) {
        if (isSink[static_cast<std::size_t>(t)]) continue;
        any = true;
        out.nonSinkMin = std::min(out.nonSinkMin, norms[t]);
        out.nonSinkMax = std::max(out.nonSinkMax, norms[t]);
    }
    if (!any) throw std::invalid_argument("compareValueDrain: every token is a sink token");
    return out;
}

ResidualPeak residualPeak(const Eigen::MatrixXf& residual) {
    if (residual.rows() < 2 || residual.cols() == 0) {
        throw std::invalid_argument("residualPeak: need a [T, D] residual with T >= 2, got [" +
                                    std::to_string(residual.rows()) + ", " +
                                    std::to_string(residual.cols()) + "]");
    }
    ResidualPeak out;
    out.bosNorm = residual.row(0).cast<double>().norm();
    out.maxOtherNorm = -1.0;
    for (Eigen::Index t = 1; t < residual.rows(); ++t) {
        const double n = residual.row(t).cast<double>().norm();
        if (n > out.maxOtherNorm) {
            out.maxOtherNorm = n;
            out.argmaxOther = static_cast<int>(t);
        }
    }
    out.ratio = out.maxOtherNorm > 0.0 ? out.bosNorm / out.maxOtherNorm
                                       : std::numeric_limits<double>::infinity();
    return out;
}

DormantVerdicts dormantRule(const HeadTable& bosMassTable, const HeadTable& deltaCe,
                            const DormantParams& params) {
    if (bosMassTable.layers != deltaCe.layers || bosMassTable.heads != deltaCe.heads ||
        bosMassTable.values.size() != deltaCe.values.size() ||
        bosMassTable.values.size() != static_cast<std::size_t>(bosMassTable.size())) {
        throw std::invalid_argument("dormantRule: BOS-mass and delta-CE tables differ in shape");
    }
    DormantVerdicts out{HeadTable(bosMassTable.layers, bosMassTable.heads),
                        HeadTable(bosMassTable.layers, bosMassTable.heads),
                        HeadTable(bosMassTable.layers, bosMassTable.heads)};
    for (std::size_t i = 0; i < bosMassTable.values.size(); ++i) {
        const double m = bosMassTable.values[i];
        const double d = deltaCe.values[i];
        if (std::isnan(m) || std::isnan(d)) {
            throw std::invalid_argument("dormantRule: NaN in the input tables");
        }
        const bool sink = m >= params.bosThreshold;
        const bool neutral = std::abs(d) < params.lossDelta;
        out.sinkDominated.values[i] = sink ? 1.0 : 0.0;
        out.lossNeutral.values[i] = neutral ? 1.0 : 0.0;
        out.dormant.values[i] = (sink && neutral) ? 1.0 : 0.0;
    }
    return out;
}

double bosMass(const AttentionMap& attention) {
    requireCausalAttentionMap(attention, "bosMass");
    return attention.col(0).cast<double>().sum() / static_cast<double>(attention.rows());
}

}  // namespace attnscope::analysis
