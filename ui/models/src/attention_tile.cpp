#include "attnscope/ui/attention_tile.h"

#include <algorithm>
#include <cmath>

namespace attnscope::ui {
namespace {

// First source position of each of `bins` bins over n positions, plus n at the end.
// Position i belongs to bin floor(i * bins / n), so bin b starts at ceil(b * n / bins).
std::vector<int> binStarts(int n, int bins) {
    std::vector<int> starts(static_cast<size_t>(bins) + 1);
    for (int b = 0; b <= bins; ++b)
        starts[static_cast<size_t>(b)] =
            static_cast<int>((static_cast<qint64>(b) * n + bins - 1) / bins);
    return starts;
}

QStringList binLabels(const QStringList& tokens, int first, const std::vector<int>& starts) {
    QStringList out;
    if (tokens.isEmpty()) return out;
    out.reserve(static_cast<int>(starts.size()) - 1);
    for (size_t b = 0; b + 1 < starts.size(); ++b) {
        const int idx = first + starts[b];
        out << (idx < tokens.size() ? tokens[idx] : QString());
    }
    return out;
}

struct PickMax {
    float operator()(float a, float b) const { return b > a ? b : a; }
};
struct PickMaxAbs {
    float operator()(float a, float b) const { return std::abs(b) > std::abs(a) ? b : a; }
};

// Pools rows [q0, q1) x cols [k0, k1) of `full` into `tile` (sized by the bin starts).
// Each tile row is pooled over contiguous column runs, then merged across its source
// rows: no per-element bin lookup, and a plain copy where columns are not pooled.
template <typename Pick>
void pool(const AttentionMapSnapshot& full, int q0, int k0, const std::vector<int>& rowStarts,
          const std::vector<int>& colStarts, AttentionMapSnapshot& tile, Pick pick) {
    const int cols = tile.cols;
    for (int r = 0; r < tile.rows; ++r) {
        float* dst = tile.values.data() + static_cast<size_t>(r) * cols;
        for (int q = rowStarts[static_cast<size_t>(r)]; q < rowStarts[static_cast<size_t>(r) + 1];
             ++q) {
            const float* src = full.values.data() + static_cast<size_t>(q0 + q) * full.cols + k0;
            const bool first = q == rowStarts[static_cast<size_t>(r)];
            for (int c = 0; c < cols; ++c) {
                const int begin = colStarts[static_cast<size_t>(c)];
                const int end = colStarts[static_cast<size_t>(c) + 1];
                float m = src[begin];
                for (int k = begin + 1; k < end; ++k)
                    m = pick(m, src[k]);
                dst[c] = first ? m : pick(dst[c], m);
            }
        }
    }
}

}  // namespace

AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxCells, TilePooling pooling) {
    return makeTile(full, q0, q1, k0, k1, maxCells, maxCells, pooling);
}

AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxRows, int maxCols, TilePooling pooling) {
    AttentionMapSnapshot tile;
    tile.layer = full.layer;
    tile.head = full.head;
    tile.title = full.title;
    q0 = std::clamp(q0, 0, full.rows);
    q1 = std::clamp(q1, q0, full.rows);
    k0 = std::clamp(k0, 0, full.cols);
    k1 = std::clamp(k1, k0, full.cols);
    const int nq = q1 - q0;
    const int nk = k1 - k0;
    if (nq == 0 || nk == 0 || !full.isValid()) return tile;
    tile.rows = std::min(nq, std::max(maxRows, 1));
    tile.cols = std::min(nk, std::max(maxCols, 1));
    tile.rowOffset = q0;
    tile.colOffset = k0;
    tile.rowExtent = nq;
    tile.colExtent = nk;
    tile.values.resize(static_cast<size_t>(tile.rows) * tile.cols);
    const std::vector<int> rowStarts = binStarts(nq, tile.rows);
    const std::vector<int> colStarts = binStarts(nk, tile.cols);
    if (pooling == TilePooling::MaxAbs)
        pool(full, q0, k0, rowStarts, colStarts, tile, PickMaxAbs{});
    else
        pool(full, q0, k0, rowStarts, colStarts, tile, PickMax{});
    tile.rowTokens = binLabels(full.rowTokens, q0, rowStarts);
    tile.colTokens = binLabels(full.colTokens, k0, colStarts);
    return tile;
}

}  // namespace attnscope::ui
