#include "attnscope/capture/kv_cache.h"

namespace attnscope::capture {

std::pair<at::Tensor, at::Tensor> KvCache::append(int64_t layer, const at::Tensor& keys,
                                                  const at::Tensor& values) {
    auto& k = m_keys.at(layer);
    auto& v = m_values.at(layer);
    const int64_t added = keys.size(2);
    const int64_t needed = m_length + added;
    // Grow geometrically so that a decode loop copies each cached entry O(1) times overall.
    if (!k.defined() || k.size(2) < needed) {
        const int64_t capacity = std::max<int64_t>(needed, k.defined() ? 2 * k.size(2) : needed);
        auto grownK =
            at::empty({keys.size(0), keys.size(1), capacity, keys.size(3)}, keys.options());
        auto grownV =
            at::empty({values.size(0), values.size(1), capacity, values.size(3)}, values.options());
        if (k.defined() && m_length > 0) {
            grownK.narrow(2, 0, m_length).copy_(k.narrow(2, 0, m_length));
            grownV.narrow(2, 0, m_length).copy_(v.narrow(2, 0, m_length));
        }
        k = grownK;
        v = grownV;
    }
    k.narrow(2, m_length, added).copy_(keys);
    v.narrow(2, m_length, added).copy_(values);
    return {k.narrow(2, 0, needed), v.narrow(2, 0, needed)};
}

void KvCache::clear() {
    for (auto& k : m_keys)
        k = at::Tensor();
    for (auto& v : m_values)
        v = at::Tensor();
    m_length = 0;
}

}  // namespace attnscope::capture
