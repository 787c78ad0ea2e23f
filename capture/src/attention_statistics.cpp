#include "attnscope/capture/attention_statistics.h"

namespace attnscope::capture {

void AttentionStatistics::computeRows(const at::Tensor& p, at::Tensor& mass, at::Tensor& argmax,
                                      at::Tensor& entropy) const {
    std::vector<int64_t> keys;
    for (int64_t k : keyPositions)
        if (k >= 0 && k < p.size(-1)) keys.push_back(k);
    const auto idx = at::tensor(keys, at::TensorOptions().dtype(at::kLong)).to(p.device());
    mass = keys.empty() ? at::zeros(p.sizes().slice(0, p.dim() - 1), p.options())
                        : p.index_select(-1, idx).sum(-1);
    argmax = p.argmax(-1);
    entropy = -at::xlogy(p, p).sum(-1);  // xlogy(0, 0) = 0 for masked keys
}

}  // namespace attnscope::capture
