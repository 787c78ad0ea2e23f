#pragma once

#include <Eigen/Core>
#include <vector>

namespace attnscope::analysis {

/// fp32 softmax of a logit vector (max-subtracted, exp and sum in float), as the references'
/// `softmax(logits.float())`. Throws std::invalid_argument on an empty or non-finite input.
std::vector<float> softmaxFp32(const std::vector<float>& logits);

/// log_softmax in double: x - max - log(sum exp(x - max)). Throws std::invalid_argument on an
/// empty or non-finite input.
Eigen::VectorXd logSoftmax(const Eigen::VectorXf& logits);

}  // namespace attnscope::analysis
