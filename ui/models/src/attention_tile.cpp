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

// Pools source rows into `tile` (sized by the bin starts); `row(q)` points at source row
// q0 + q from key k0 on. Each tile row is pooled over contiguous column runs, then merged
// across its source rows: no per-element bin lookup.
template <typename Row, typename Pick>
void pool(const Row& row, const std::vector<int>& rowStarts, const std::vector<int>& colStarts,
          AttentionMapSnapshot& tile, Pick pick) {
    const int cols = tile.cols;
    for (int r = 0; r < tile.rows; ++r) {
        float* dst = tile.values.data() + static_cast<size_t>(r) * cols;
        for (int q = rowStarts[static_cast<size_t>(r)]; q < rowStarts[static_cast<size_t>(r) + 1];
             ++q) {
            const float* src = row(q);
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

// The tile's frame: clamped range, size, offsets, extents and bins; false when empty.
bool frame(AttentionMapSnapshot& tile, int queries, int keys, int& q0, int& q1, int& k0, int& k1,
           int maxRows, int maxCols, std::vector<int>& rowStarts, std::vector<int>& colStarts) {
    q0 = std::clamp(q0, 0, queries);
    q1 = std::clamp(q1, q0, queries);
    k0 = std::clamp(k0, 0, keys);
    k1 = std::clamp(k1, k0, keys);
    const int nq = q1 - q0;
    const int nk = k1 - k0;
    if (nq == 0 || nk == 0) return false;
    tile.rows = std::min(nq, std::max(maxRows, 1));
    tile.cols = std::min(nk, std::max(maxCols, 1));
    tile.rowOffset = q0;
    tile.colOffset = k0;
    tile.rowExtent = nq;
    tile.colExtent = nk;
    tile.values.resize(static_cast<size_t>(tile.rows) * tile.cols);
    rowStarts = binStarts(nq, tile.rows);
    colStarts = binStarts(nk, tile.cols);
    return true;
}

template <typename Row>
void poolWith(const Row& row, TilePooling pooling, const std::vector<int>& rowStarts,
              const std::vector<int>& colStarts, AttentionMapSnapshot& tile) {
    if (pooling == TilePooling::MaxAbs)
        pool(row, rowStarts, colStarts, tile, PickMaxAbs{});
    else
        pool(row, rowStarts, colStarts, tile, PickMax{});
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
    std::vector<int> rowStarts, colStarts;
    if (!full.isValid() ||
        !frame(tile, full.rows, full.cols, q0, q1, k0, k1, maxRows, maxCols, rowStarts, colStarts))
        return tile;
    const auto row = [&](int q) {
        return full.values.data() + static_cast<size_t>(q0 + q) * full.cols + k0;
    };
    poolWith(row, pooling, rowStarts, colStarts, tile);
    tile.rowTokens = binLabels(full.rowTokens, q0, rowStarts);
    tile.colTokens = binLabels(full.colTokens, k0, colStarts);
    return tile;
}

AttentionMapSnapshot makeTile(int queries, int keys, const MapRowReader& read, int q0, int q1,
                              int k0, int k1, int maxRows, int maxCols, TilePooling pooling,
                              const QStringList& rowTokens, const QStringList& colTokens) {
    AttentionMapSnapshot tile;
    std::vector<int> rowStarts, colStarts;
    if (!read ||
        !frame(tile, queries, keys, q0, q1, k0, k1, maxRows, maxCols, rowStarts, colStarts))
        return tile;
    std::vector<float> buffer(static_cast<size_t>(k1 - k0));
    const auto row = [&](int q) {
        read(q0 + q, k0, k1, buffer.data());
        return buffer.data();
    };
    poolWith(row, pooling, rowStarts, colStarts, tile);
    tile.rowTokens = binLabels(rowTokens, q0, rowStarts);
    tile.colTokens = binLabels(colTokens, k0, colStarts);
    return tile;
}

}  // namespace attnscope::ui
