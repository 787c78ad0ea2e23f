#include "chunk_layout.h"

#include <algorithm>

namespace attnscope::store::detail {

namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool isAttentionMapHook(const std::string& hookName, size_t rank) {
    return rank == 3 &&
           (endsWith(hookName, "hook_pattern") || endsWith(hookName, "hook_attn_scores"));
}

std::vector<hsize_t> chooseChunk(const std::vector<int64_t>& shape, size_t elementBytes,
                                 bool attentionMap) {
    if (shape.empty()) return {};
    for (int64_t extent : shape)
        if (extent <= 0) return {};

    if (attentionMap && shape.size() == 3) {
        const int64_t queries = shape[1];
        const int64_t keys = shape[2];
        if (queries <= kWholeMapLimit && keys <= kWholeMapLimit)
            return {1, static_cast<hsize_t>(queries), static_cast<hsize_t>(keys)};
        return {1, static_cast<hsize_t>(std::min(queries, kMapTile)),
                static_cast<hsize_t>(std::min(keys, kMapTile))};
    }

    // Shrink dimensions from the front: the trailing ones (d_head, d_model, vocab) are read
    // whole, the leading ones (pos, head) are what callers slice.
    std::vector<hsize_t> chunk(shape.begin(), shape.end());
    size_t innerBytes = elementBytes;
    for (size_t i = 1; i < chunk.size(); ++i)
        innerBytes *= chunk[i];
    for (size_t i = 0; i < chunk.size(); ++i) {
        const size_t rowsThatFit = std::max<size_t>(1, kTargetChunkBytes / innerBytes);
        if (chunk[i] <= rowsThatFit) break;  // this dimension and the rest fit whole
        chunk[i] = rowsThatFit;
        if (rowsThatFit > 1 || i + 1 == chunk.size()) break;
        // Even one slice along i is too big: cut the next dimension as well.
        innerBytes /= chunk[i + 1];
    }
    return chunk;
}

}  // namespace attnscope::store::detail
