#include "pattern_reconstruction.h"

#include <algorithm>
#include <cmath>

namespace attnscope::store::detail {

int64_t keyRowsNeeded(int64_t q1, int64_t k0, int64_t k1) {
    return std::max<int64_t>(0, std::min(k1, q1) - k0);
}

std::vector<float> reconstructTile(const TileInputs& in) {
    const int64_t rows = in.q1 - in.q0;
    const int64_t cols = in.k1 - in.k0;
    std::vector<float> tile(static_cast<size_t>(rows * cols), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t query = in.q0 + r;
        const float* q = in.queries + r * in.dHead;
        const double lse = in.lse[r];
        // Causal: only keys up to the query's own position carry probability.
        const int64_t lastKey = std::min({in.k1 - 1, query, in.k0 + in.keyRows - 1});
        for (int64_t key = in.k0; key <= lastKey; ++key) {
            const float* k = in.keys + (key - in.k0) * in.dHead;
            double dot = 0.0;
            for (int64_t i = 0; i < in.dHead; ++i)
                dot += static_cast<double>(q[i]) * k[i];
            double score = dot * in.scale;
            if (in.softcap > 0.0) score = in.softcap * std::tanh(score / in.softcap);
            tile[static_cast<size_t>(r * cols + (key - in.k0))] =
                static_cast<float>(std::exp(score - lse));
        }
    }
    return tile;
}

}  // namespace attnscope::store::detail
