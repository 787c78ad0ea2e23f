#include "attnscope/analysis/heavy_hitter.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

Eigen::VectorXd accumulatedAttention(const Eigen::MatrixXf& rows) {
    Eigen::VectorXd acc;
    accumulateAttention(acc, rows);
    return acc;
}

void accumulateAttention(Eigen::VectorXd& acc, const Eigen::MatrixXf& rows) {
    requireAttentionRows(rows, "accumulateAttention");
    if (rows.cols() < acc.size()) {
        throw std::invalid_argument("accumulateAttention: rows cover " +
                                    std::to_string(rows.cols()) + " keys but the score has " +
                                    std::to_string(acc.size()));
    }
    const Eigen::Index old = acc.size();
    acc.conservativeResize(rows.cols());
    acc.tail(rows.cols() - old).setZero();
    acc += rows.cast<double>().colwise().sum().transpose();
}

double hhConcentration(const Eigen::VectorXd& acc, double ratio) {
    if (acc.size() == 0) throw std::invalid_argument("hhConcentration: empty score");
    if (!(ratio > 0.0 && ratio <= 1.0)) {
        throw std::invalid_argument("hhConcentration: ratio must lie in (0, 1]");
    }
    if ((acc.array() < 0.0).any() || !acc.allFinite()) {
        throw std::invalid_argument("hhConcentration: scores must be finite and non-negative");
    }
    const double total = acc.sum();
    if (total <= 0.0) throw std::invalid_argument("hhConcentration: zero total score");
    const auto top = std::max<Eigen::Index>(
        1, static_cast<Eigen::Index>(ratio * static_cast<double>(acc.size())));
    std::vector<double> sorted(acc.data(), acc.data() + acc.size());
    std::partial_sort(sorted.begin(), sorted.begin() + top, sorted.end(), std::greater<>());
    double heavy = 0.0;
    for (Eigen::Index i = 0; i < top; ++i)
        heavy += sorted[static_cast<std::size_t>(i)];
    return heavy / total;
}

}  // namespace attnscope::analysis
