#pragma once
// How hook datasets are cut into HDF5 chunks.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope::store::detail {

/// Side of the square tile one chunk holds when an attention map is too big to be one chunk.
inline constexpr int64_t kMapTile = 256;
/// Maps up to this size on both sides are stored as one chunk per head.
inline constexpr int64_t kWholeMapLimit = 512;
/// Aim for chunks of about this size for other activations.
inline constexpr size_t kTargetChunkBytes = size_t{1} << 20;

/// Chunk dimensions for a dataset of `shape`. Attention maps ([head, query, key]) get one
/// head's map, or a kMapTile square of it, per chunk, so that reading one head or one tile
/// touches only its own chunks. Other arrays are cut along their leading dimensions into
/// chunks of about kTargetChunkBytes. Empty when the dataset has no elements (stored
/// contiguous: HDF5 cannot chunk a zero extent).
std::vector<hsize_t> chooseChunk(const std::vector<int64_t>& shape, size_t elementBytes,
                                 bool attentionMap);

/// Whether a hook holds [head, query, key] maps (hook_pattern, hook_attn_scores).
bool isAttentionMapHook(const std::string& hookName, size_t rank);

}  // namespace attnscope::store::detail
