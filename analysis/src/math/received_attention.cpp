#include "attnscope/analysis/received_attention.h"

namespace attnscope::analysis {

Eigen::VectorXd receivedAttention(const AttentionMap& attention) {
    requireCausalAttentionMap(attention, "receivedAttention");
    const Eigen::Index t = attention.rows();
    Eigen::VectorXd alpha(t);
    for (Eigen::Index k = 0; k < t; ++k) {
        double sum = 0.0;
        for (Eigen::Index q = k; q < t; ++q) {
            sum += attention(q, k);
        }
        alpha[k] = sum / static_cast<double>(t - k);
    }
    return alpha;
}

}  // namespace attnscope::analysis
