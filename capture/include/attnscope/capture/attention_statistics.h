#pragma once
// Per-head, per-query statistics of attention rows computed inside the forward pass, so that
// analyses at long context never need the T×T maps (they are computed block by block when the
// full scores are not materialised).
#include <ATen/ATen.h>

#include <vector>

namespace attnscope::capture {

struct AttentionStatistics {
    /// Absolute key positions whose attention mass is summed (e.g. {0} for the BOS sink).
    std::vector<int64_t> keyPositions = {0};

    /// Filled by the forward pass, one entry per layer, each [batch, head, query]:
    std::vector<at::Tensor> massOnKeys;  ///< Σ_{k ∈ keyPositions} A[q, k]   (float32)
    std::vector<at::Tensor> rowArgmax;   ///< argmax_k A[q, k]               (int64)
    std::vector<at::Tensor> rowEntropy;  ///< -Σ_k A[q,k] log A[q,k]  (nats, float32)

    /// Computes the three statistics of probability rows `p` [..., query, key] whose keys start at
    /// absolute position 0; leading dimensions are kept.
    void computeRows(const at::Tensor& p, at::Tensor& mass, at::Tensor& argmax,
                     at::Tensor& entropy) const;
};

}  // namespace attnscope::capture
