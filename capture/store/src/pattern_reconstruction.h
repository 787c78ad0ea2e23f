#pragma once
// Rebuilding attention probabilities from post-positional-encoding q and k and the row
// log-sum-exp, so that long captures need not store T x T maps.
#include <cstdint>
#include <vector>

namespace attnscope::store::detail {

/// The inputs for one head and one tile [q0, q1) x [k0, k1).
struct TileInputs {
    const float* queries = nullptr;  ///< [q1-q0, dHead]: rows q0..q1-1 of the query head
    const float* keys = nullptr;     ///< [keyRows, dHead]: rows k0..k0+keyRows-1 of its KV head
    const float* lse = nullptr;      ///< [q1-q0]: log-sum-exp of rows q0..q1-1
    int64_t q0 = 0, q1 = 0, k0 = 0, k1 = 0;
    int64_t keyRows = 0;  ///< keys present; keys at or beyond k0+keyRows are all masked
    int64_t dHead = 0;
    double scale = 1.0;
    double softcap = 0.0;  ///< 0 = no soft-capping
};

/// Keys the tile needs: k in [k0, min(k1, q1)) (the causal mask hides the rest).
int64_t keyRowsNeeded(int64_t q1, int64_t k0, int64_t k1);

/// pattern[q, k] = exp(s(q, k) - lse[q]) for k <= q and 0 above the diagonal, with
/// s = (q . k) * scale, or softcap * tanh((q . k) * scale / softcap) when softcap > 0.
/// Computed in double; returns [q1-q0, k1-k0] row-major float32.
std::vector<float> reconstructTile(const TileInputs& inputs);

}  // namespace attnscope::store::detail
