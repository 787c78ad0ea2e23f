#include "attnscope/analysis/logit_metrics.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "attnscope/analysis/softmax.h"

namespace attnscope::analysis {

double logitDifference(const Eigen::MatrixXf& lastLogits, const std::vector<int>& correct,
                       const std::vector<int>& incorrect) {
    const auto batch = static_cast<std::size_t>(lastLogits.rows());
    if (batch == 0 || lastLogits.cols() == 0) {
        throw std::invalid_argument("logitDifference: empty logits");
    }
    if (correct.size() != batch || incorrect.size() != batch) {
        throw std::invalid_argument("logitDifference: " + std::to_string(batch) + " prompts but " +
                                    std::to_string(correct.size()) + "/" +
                                    std::to_string(incorrect.size()) + " answer tokens");
    }
    double sum = 0.0;
    for (std::size_t b = 0; b < batch; ++b) {
        for (int id : {correct[b], incorrect[b]}) {
            if (id < 0 || id >= lastLogits.cols()) {
                throw std::invalid_argument("logitDifference: token id " + std::to_string(id) +
                                            " outside the vocabulary");
            }
        }
        const auto row = static_cast<Eigen::Index>(b);
        sum += double(lastLogits(row, correct[b])) - double(lastLogits(row, incorrect[b]));
    }
    return sum / static_cast<double>(batch);
}

double normalizedLogitDifference(double ld, double ldCorrupt, double ldClean) {
    const double denominator = ldClean - ldCorrupt;
    if (denominator == 0.0) {
        throw std::invalid_argument(
            "normalizedLogitDifference: clean and corrupt logit differences are equal");
    }
    return (ld - ldCorrupt) / denominator;
}

double acdcKlDivergence(const Eigen::MatrixXf& lastLogits, const Eigen::MatrixXf& baseLogprobs) {
    if (lastLogits.size() == 0) throw std::invalid_argument("acdcKlDivergence: empty logits");
    if (lastLogits.rows() != baseLogprobs.rows() || lastLogits.cols() != baseLogprobs.cols()) {
        throw std::invalid_argument("acdcKlDivergence: logits and base log-probs differ in shape");
    }
    double total = 0.0;
    for (Eigen::Index b = 0; b < lastLogits.rows(); ++b) {
        const Eigen::VectorXd modelLogprobs = logSoftmax(lastLogits.row(b).transpose());
        for (Eigen::Index v = 0; v < lastLogits.cols(); ++v) {
            const double base = baseLogprobs(b, v);
            if (std::isnan(base)) {
                throw std::invalid_argument("acdcKlDivergence: NaN base log-prob");
            }
            // A zero-probability base token: torch computes exp(t) * (t - x) = 0 * -inf = NaN;
            // we take the limit p log p -> 0 instead, so it contributes nothing.
            if (std::isinf(base) && base < 0) continue;
            total += std::exp(base) * (base - modelLogprobs[v]);
        }
    }
    return total / static_cast<double>(lastLogits.rows());
}

}  // namespace attnscope::analysis
