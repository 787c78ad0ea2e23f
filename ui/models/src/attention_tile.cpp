#include "attnscope/ui/attention_tile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

// Bin index of each source position in [0, n) when n positions go into `bins` bins.
std::vector<int> binOf(int n, int bins) {
    std::vector<int> out(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] = static_cast<int>(static_cast<qint64>(i) * bins / n);
    return out;
}

QStringList binLabels(const QStringList& tokens, int first, int n, int bins) {
    QStringList out;
    if (tokens.isEmpty()) return out;
    out.reserve(bins);
    for (int b = 0; b < bins; ++b) {
        // First source position whose bin is b: ceil(b * n / bins).
        const qint64 start = (static_cast<qint64>(b) * n + bins - 1) / bins;
        const qint64 idx = first + start;
        out << (idx < tokens.size() ? tokens[static_cast<int>(idx)] : QString());
    }
    return out;
}

}  // namespace

AttentionMapSnapshot makeTile(const AttentionMapSnapshot& full, int q0, int q1, int k0, int k1,
                              int maxCells, TilePooling pooling) {
    AttentionMapSnapshot tile;
    tile.layer = full.layer;
    tile.head = full.head;
    q0 = std::clamp(q0, 0, full.rows);
    q1 = std::clamp(q1, q0, full.rows);
    k0 = std::clamp(k0, 0, full.cols);
    k1 = std::clamp(k1, k0, full.cols);
    const int nq = q1 - q0;
    const int nk = k1 - k0;
    if (nq == 0 || nk == 0 || !full.isValid()) return tile;
    maxCells = std::max(maxCells, 1);
    tile.rows = std::min(nq, maxCells);
    tile.cols = std::min(nk, maxCells);
    tile.rowOffset = q0;
    tile.colOffset = k0;
    tile.rowExtent = nq;
    tile.colExtent = nk;
    const bool maxAbs = pooling == TilePooling::MaxAbs;
    tile.values.assign(static_cast<size_t>(tile.rows) * tile.cols,
                       maxAbs ? 0.0f : -std::numeric_limits<float>::infinity());
    const std::vector<int> rowBin = binOf(nq, tile.rows);
    const std::vector<int> colBin = binOf(nk, tile.cols);
    for (int q = 0; q < nq; ++q) {
        const float* src = full.values.data() + static_cast<size_t>(q0 + q) * full.cols + k0;
        float* dst = tile.values.data() + static_cast<size_t>(rowBin[q]) * tile.cols;
        if (maxAbs) {
            for (int k = 0; k < nk; ++k) {
                float& cell = dst[colBin[static_cast<size_t>(k)]];
                if (std::abs(src[k]) > std::abs(cell)) cell = src[k];
            }
        } else {
            for (int k = 0; k < nk; ++k) {
                float& cell = dst[colBin[static_cast<size_t>(k)]];
                cell = std::max(cell, src[k]);
            }
        }
    }
    tile.rowTokens = binLabels(full.rowTokens, q0, nq, tile.rows);
    tile.colTokens = binLabels(full.colTokens, k0, nk, tile.cols);
    return tile;
}

}  // namespace attnscope::ui
