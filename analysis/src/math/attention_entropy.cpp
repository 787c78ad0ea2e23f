#include "attnscope/analysis/attention_entropy.h"

#include <cmath>

namespace attnscope::analysis {

namespace {

// -sum x log x over the positive entries of `weights` after dividing by their sum; entries
// <= 0 contribute nothing (as the reference's torch.where(attn > 0, ...)).
template <typename Vector>
double normalizedShannon(const Vector& weights) {
    double total = 0.0;
    for (Eigen::Index i = 0; i < weights.size(); ++i) {
        if (weights[i] > 0.0f) total += weights[i];
    }
    if (total <= 0.0) return 0.0;
    double h = 0.0;
    for (Eigen::Index i = 0; i < weights.size(); ++i) {
        if (weights[i] > 0.0f) {
            const double p = double(weights[i]) / total;
            h -= p * std::log(p);
        }
    }
    return h;
}

}  // namespace

Eigen::VectorXd rowNormalizedEntropies(const AttentionMap& attention) {
    requireCausalAttentionMap(attention, "rowNormalizedEntropies");
    const Eigen::Index t = attention.rows();
    Eigen::VectorXd out(t);
    for (Eigen::Index q = 0; q < t; ++q) {
        const double norm = std::log(static_cast<double>(q + 1));
        out[q] = norm > 0.0 ? normalizedShannon(attention.row(q)) / norm : 0.0;
    }
    return out;
}

double rowEntropy(const AttentionMap& attention) {
    return rowNormalizedEntropies(attention).mean();
}

Eigen::VectorXd columnNormalizedEntropies(const AttentionMap& attention) {
    requireCausalAttentionMap(attention, "columnNormalizedEntropies");
    const Eigen::Index t = attention.rows();
    Eigen::VectorXd out(t);
    for (Eigen::Index k = 0; k < t; ++k) {
        const double norm = std::log(static_cast<double>(t - k));
        out[k] = norm > 0.0 ? normalizedShannon(attention.col(k)) / norm : 0.0;
    }
    return out;
}

double colEntropy(const AttentionMap& attention) {
    return columnNormalizedEntropies(attention).maxCoeff();
}

bool isDormantLike(double rowEntropyValue, double colEntropyValue, double tauRow, double tauCol) {
    return rowEntropyValue < tauRow && colEntropyValue > tauCol;
}

}  // namespace attnscope::analysis
