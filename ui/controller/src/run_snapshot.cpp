#include "attnscope/ui/run_snapshot.h"

namespace attnscope::ui {

AttentionMapSnapshot RunSnapshot::map(int layer, int head, MapAverage average,
                                      Source source) const {
    const auto& all = source == Source::Edited     ? patterns
                      : source == Source::Baseline ? baselinePatterns
                                                   : corruptedPatterns;
    AttentionMapSnapshot m;
    if (all.size() != static_cast<size_t>(layers) || length <= 0) return m;
    if (average != MapAverage::AllHeads && (layer < 0 || layer >= layers)) return m;
    if (average == MapAverage::Head && (head < 0 || head >= heads)) return m;
    const size_t cells = static_cast<size_t>(length) * length;
    m.layer = layer;
    m.head = average == MapAverage::Head ? head : -1;
    m.rows = m.cols = length;
    m.rowTokens = m.colTokens = tokenLabels;
    if (average == MapAverage::Head) {
        const float* src = all[layer].data() + static_cast<size_t>(head) * cells;
        m.values.assign(src, src + cells);
        return m;
    }
    // The mean of maps (each row still sums to 1).
    std::vector<double> sum(cells, 0.0);
    int count = 0;
    for (int l = 0; l < layers; ++l) {
        if (average == MapAverage::LayerHeads && l != layer) continue;
        for (int h = 0; h < heads; ++h, ++count)
            for (size_t i = 0; i < cells; ++i)
                sum[i] += all[l][h * cells + i];
    }
    m.values.resize(cells);
    for (size_t i = 0; i < cells; ++i)
        m.values[i] = static_cast<float>(sum[i] / count);
    return m;
}

}  // namespace attnscope::ui
