#include "attnscope/analysis/softmax.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnscope::analysis {

namespace {

template <typename Range>
void requireFiniteNonEmpty(const Range& logits, const char* context) {
    if (logits.size() == 0) throw std::invalid_argument(std::string(context) + ": empty logits");
    for (const float v : logits) {
        if (!std::isfinite(v)) {
            throw std::invalid_argument(std::string(context) + ": non-finite logit");
        }
    }
}

}  // namespace

std::vector<float> softmaxFp32(const std::vector<float>& logits) {
    requireFiniteNonEmpty(logits, "softmaxFp32");
    const float maxLogit = *std::max_element(logits.begin(), logits.end());
    std::vector<float> out(logits.size());
    float sum = 0.0f;
    for (std::size_t i = 0; i < logits.size(); ++i) {
        out[i] = std::exp(logits[i] - maxLogit);
        sum += out[i];
    }
    for (float& v : out)
        v /= sum;
    return out;
}

Eigen::VectorXd logSoftmax(const Eigen::VectorXf& logits) {
    requireFiniteNonEmpty(logits, "logSoftmax");
    const Eigen::VectorXd x = logits.cast<double>();
    const double maxLogit = x.maxCoeff();
    const double logSum = std::log((x.array() - maxLogit).exp().sum());
    return (x.array() - maxLogit - logSum).matrix();
}

}  // namespace attnscope::analysis
