#pragma once
// Keys (after RoPE) and values of every layer from earlier forward calls, for decoding.
#include <ATen/ATen.h>

#include <vector>

namespace attnscope::capture {

class KvCache {
public:
    explicit KvCache(int64_t layers) : m_keys(layers), m_values(layers) {}

    /// Number of positions already cached (the position of the next token).
    int64_t length() const { return m_length; }

    /// Appends this call's keys/values of `layer` ([batch, kv_head, new_pos, d_head]) and returns
    /// all of them ([batch, kv_head, length + new_pos, d_head]). The length advances once every
    /// layer has appended, via commit().
    std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& keys,
                                             const at::Tensor& values);
    /// Called by the model after a forward call: `added` positions are now cached.
    void commit(int64_t added) { m_length += added; }
    void clear();

    /// Cached keys of one layer ([batch, kv_head, length, d_head]); undefined before any call.
    const at::Tensor& keys(int64_t layer) const { return m_keys.at(layer); }
    const at::Tensor& values(int64_t layer) const { return m_values.at(layer); }

private:
    std::vector<at::Tensor> m_keys;    // each [batch, kv_head, capacity, d_head]
    std::vector<at::Tensor> m_values;  // each [batch, kv_head, capacity, d_head]
    int64_t m_length = 0;
};

}  // namespace attnscope::capture
