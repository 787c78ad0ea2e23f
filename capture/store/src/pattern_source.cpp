#include "pattern_source.h"

#include <cmath>
#include <string>

#include "attnscope/store/capture_format.h"
#include "dataset_io.h"
#include "hdf5_attributes.h"
#include "pattern_reconstruction.h"

namespace attnscope::store::detail {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

}  // namespace

bool PatternSource::available(hid_t hooks, int layer) {
    if (layer < 0) return false;
    return hasLink(hooks, patternHookName(layer)) ||
           (hasLink(hooks, rotQHookName(layer)) && hasLink(hooks, rotKHookName(layer)) &&
            hasLink(hooks, lseHookName(layer)));
}

PatternSource::PatternSource(hid_t hooks, int layer) : m_layer(layer) {
    const std::string layerText = "layer " + std::to_string(layer);
    if (layer < 0) fail(layerText + " does not exist");
    if (hasLink(hooks, patternHookName(layer))) {
        m_pattern = openDataset(hooks, patternHookName(layer));
        const std::vector<int64_t> shape = datasetShape(m_pattern.get());
        if (shape.size() != 3)
            fail(patternHookName(layer) + " has shape " + shapeText(shape) +
                 ", expected [head, query, key]");
        m_heads = shape[0];
        m_tokens = shape[1];
        m_keyTokens = shape[2];
        return;
    }
    if (!available(hooks, layer))
        fail("no attention pattern for " + layerText + ": neither " + patternHookName(layer) +
             " nor " + rotQHookName(layer) + " + " + rotKHookName(layer) + " + " +
             lseHookName(layer) + " were captured");

    m_queries = openDataset(hooks, rotQHookName(layer));
    m_keys = openDataset(hooks, rotKHookName(layer));
    m_lse = openDataset(hooks, lseHookName(layer));
    const std::vector<int64_t> q = datasetShape(m_queries.get());
    const std::vector<int64_t> k = datasetShape(m_keys.get());
    const std::vector<int64_t> lse = datasetShape(m_lse.get());
    const std::string shapes = "(" + rotQHookName(layer) + " " + shapeText(q) + ", " +
                               rotKHookName(layer) + " " + shapeText(k) + ", " +
                               lseHookName(layer) + " " + shapeText(lse) + ")";
    if (q.size() != 3 || k.size() != 3 || lse.size() != 2)
        fail("cannot rebuild the pattern of " + layerText +
             ": expected q [pos, head, d_head], k [pos, kv_head, d_head], lse [head, query] " +
             shapes);
    m_tokens = m_keyTokens = q[0];
    m_heads = q[1];
    m_dHead = q[2];
    m_kvHeads = k[1];
    if (k[0] != m_tokens || lse[1] != m_tokens || lse[0] != m_heads || k[2] != m_dHead ||
        m_kvHeads <= 0 || m_heads % m_kvHeads != 0)
        fail("cannot rebuild the pattern of " + layerText + ": q, k and lse do not fit together " +
             shapes);

    m_scale = requireFloatAttribute(m_lse.get(), "scale");
    m_softcap = requireFloatAttribute(m_lse.get(), "softcap");
    if (!std::isfinite(m_scale) || m_scale == 0.0)
        fail(lseHookName(layer) + " has an unusable 'scale' attribute");
    if (!std::isfinite(m_softcap) || m_softcap < 0.0)
        fail(lseHookName(layer) + " has an unusable 'softcap' attribute");
}

std::vector<float> PatternSource::readTile(int head, int64_t q0, int64_t q1, int64_t k0,
                                           int64_t k1) const {
    if (head < 0 || head >= m_heads)
        fail("head " + std::to_string(head) + " does not exist in layer " +
             std::to_string(m_layer) + " (" + std::to_string(m_heads) + " heads)");
    if (q0 < 0 || q0 > q1 || q1 > m_tokens || k0 < 0 || k0 > k1 || k1 > m_keyTokens)
        fail("tile [" + std::to_string(q0) + ", " + std::to_string(q1) + ") x [" +
             std::to_string(k0) + ", " + std::to_string(k1) + ") lies outside the " +
             std::to_string(m_tokens) + " x " + std::to_string(m_keyTokens) + " pattern of layer " +
             std::to_string(m_layer));
    elementCount({q1 - q0, k1 - k0}, "pattern tile");
    return m_pattern.valid() ? readDirect(head, q0, q1, k0, k1) : reconstruct(head, q0, q1, k0, k1);
}

std::vector<float> PatternSource::readDirect(int head, int64_t q0, int64_t q1, int64_t k0,
                                             int64_t k1) const {
    return readFloats(m_pattern.get(), {head, q0, k0}, {1, q1 - q0, k1 - k0});
}

std::vector<float> PatternSource::reconstruct(int head, int64_t q0, int64_t q1, int64_t k0,
                                              int64_t k1) const {
    // Grouped-query attention: consecutive query heads share one KV head.
    const int64_t kvHead = head / (m_heads / m_kvHeads);
    const int64_t rows = q1 - q0;
    const int64_t keyRows = keyRowsNeeded(q1, k0, k1);
    const std::vector<float> queries =
        readFloats(m_queries.get(), {q0, head, 0}, {rows, 1, m_dHead});
    const std::vector<float> keys =
        readFloats(m_keys.get(), {k0, kvHead, 0}, {keyRows, 1, m_dHead});
    const std::vector<float> lse = readFloats(m_lse.get(), {head, q0}, {1, rows});

    TileInputs inputs;
    inputs.queries = queries.data();
    inputs.keys = keys.data();
    inputs.lse = lse.data();
    inputs.q0 = q0;
    inputs.q1 = q1;
    inputs.k0 = k0;
    inputs.k1 = k1;
    inputs.keyRows = keyRows;
    inputs.dHead = m_dHead;
    inputs.scale = m_scale;
    inputs.softcap = m_softcap;
    return reconstructTile(inputs);
}

}  // namespace attnscope::store::detail
