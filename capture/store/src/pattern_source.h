#pragma once
// Where one layer's attention pattern comes from in a run: the stored
// `blocks.{l}.attn.hook_pattern`, or hook_rot_q, hook_rot_k and hook_pattern_lse.
#include <hdf5.h>

#include <cstdint>
#include <vector>

#include "hdf5_handle.h"

namespace attnscope::store::detail {

class PatternSource {
public:
    /// Opens and validates the layer's datasets in `hooks`; StoreError when there are none
    /// or their shapes or attributes do not fit together.
    PatternSource(hid_t hooks, int layer);

    /// Whether `hooks` holds a direct or a reconstructible pattern for `layer`.
    static bool available(hid_t hooks, int layer);

    /// [head, query, key]
    std::vector<int64_t> shape() const { return {m_heads, m_tokens, m_keyTokens}; }
    /// Rows [q0, q1) and columns [k0, k1) of `head`, reading only the rows of q and k the
    /// tile needs when it is rebuilt.
    std::vector<float> readTile(int head, int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;

private:
    std::vector<float> readDirect(int head, int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;
    std::vector<float> reconstruct(int head, int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;

    int m_layer;
    Handle m_pattern;  // direct, or invalid when reconstructing
    Handle m_queries;  // [pos, head, d_head]
    Handle m_keys;     // [pos, kv_head, d_head]
    Handle m_lse;      // [head, query]
    int64_t m_heads = 0;
    int64_t m_kvHeads = 0;
    int64_t m_tokens = 0;
    int64_t m_keyTokens = 0;  // direct maps may have a key extent other than the query one
    int64_t m_dHead = 0;
    double m_scale = 1.0;
    double m_softcap = 0.0;
};

}  // namespace attnscope::store::detail
