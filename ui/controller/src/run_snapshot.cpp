#include "attnscope/ui/run_snapshot.h"

#include <QObject>

#include <algorithm>

#include "attnscope/ui/attention_tile.h"

namespace attnscope::ui {

AttentionMapSnapshot RunSnapshot::map(int layer, int head, MapAverage average,
                                      Source source) const {
    const app::SharedPatterns& all = source == Source::Edited     ? patterns
                                     : source == Source::Baseline ? baselinePatterns
                                                                  : corruptedPatterns;
    AttentionMapSnapshot m;
    if (!all || all->size() != static_cast<size_t>(layers) || length <= 0) return m;
    if (average != MapAverage::AllHeads && (layer < 0 || layer >= layers)) return m;
    if (average == MapAverage::Head && (head < 0 || head >= heads)) return m;
    m.values = app::headMap(*all, heads, length, average == MapAverage::AllHeads ? -1 : layer,
                            average == MapAverage::Head ? head : -1);
    if (m.values.empty()) return m;
    m.layer = average == MapAverage::AllHeads ? -1 : layer;
    m.head = average == MapAverage::Head ? head : -1;
    m.title = mapTitle({layer, head, average, source, std::nullopt});
    m.rows = m.cols = length;
    // The corrupted prompt's map is labelled with its own tokens.
    m.rowTokens = m.colTokens = source == Source::Corrupted && !corruptedTokenLabels.isEmpty()
                                    ? corruptedTokenLabels
                                    : tokenLabels;
    return m;
}

namespace {

const app::SharedPatterns& patternsOf(const RunSnapshot& run, RunSnapshot::Source source) {
    using Source = RunSnapshot::Source;
    return source == Source::Edited     ? run.patterns
           : source == Source::Baseline ? run.baselinePatterns
                                        : run.corruptedPatterns;
}

// Fills out[0, k1 - k0) with row `query` of one head's map or of a mean of heads, with the
// same arithmetic as app::headMap (double sums over layers, then heads; one division).
void readRow(const app::LayerPatterns& all, int heads, int length, int layer, int head, int query,
             int k0, int k1, float* out) {
    const size_t cells = static_cast<size_t>(length) * length;
    const size_t offset = static_cast<size_t>(query) * length + k0;
    const int n = k1 - k0;
    if (layer >= 0 && head >= 0) {
        const float* src = all[layer].data() + head * cells + offset;
        std::copy(src, src + n, out);
        return;
    }
    std::vector<double> sum(static_cast<size_t>(n), 0.0);
    int count = 0;
    for (int l = 0; l < static_cast<int>(all.size()); ++l) {
        if (layer >= 0 && l != layer) continue;
        for (int h = 0; h < heads; ++h, ++count) {
            const float* src = all[l].data() + h * cells + offset;
            for (int k = 0; k < n; ++k)
                sum[static_cast<size_t>(k)] += src[k];
        }
    }
    for (int k = 0; k < n; ++k)
        out[k] = static_cast<float>(sum[static_cast<size_t>(k)] / count);
}

}  // namespace

QString RunSnapshot::mapTitle(const MapSpec& spec) const {
    QString title;
    switch (spec.average) {
        case MapAverage::Head:
            title = QObject::tr("Layer %1 \u00b7 head %2").arg(spec.layer).arg(spec.head);
            break;
        case MapAverage::LayerHeads:
            title = QObject::tr("Layer %1 \u00b7 mean of its %2 heads").arg(spec.layer).arg(heads);
            break;
        case MapAverage::AllHeads:
            title = QObject::tr("Mean of all %1 heads (%2 layers)").arg(layers * heads).arg(layers);
            break;
    }
    if (spec.minus) return title;  // the view names the comparison
    if (spec.source == Source::Baseline) title += QObject::tr(" \u00b7 baseline");
    if (spec.source == Source::Corrupted) title += QObject::tr(" \u00b7 corrupted prompt");
    return title;
}

bool RunSnapshot::hasMap(const MapSpec& spec) const {
    auto usable = [this](Source source) {
        const app::SharedPatterns& all = patternsOf(*this, source);
        return all && all->size() == static_cast<size_t>(layers) && length > 0;
    };
    if (!usable(spec.source) || (spec.minus && !usable(*spec.minus))) return false;
    if (spec.average != MapAverage::AllHeads && (spec.layer < 0 || spec.layer >= layers))
        return false;
    return spec.average != MapAverage::Head || (spec.head >= 0 && spec.head < heads);
}

AttentionMapSnapshot RunSnapshot::tile(const MapSpec& spec, int q0, int q1, int k0, int k1,
                                       int maxCells) const {
    if (!hasMap(spec)) return {};
    const int layer = spec.average == MapAverage::AllHeads ? -1 : spec.layer;
    const int head = spec.average == MapAverage::Head ? spec.head : -1;
    const app::LayerPatterns& a = *patternsOf(*this, spec.source);
    const app::LayerPatterns* b = spec.minus ? patternsOf(*this, *spec.minus).get() : nullptr;
    std::vector<float> other;
    const MapRowReader read = [&](int query, int from, int to, float* out) {
        readRow(a, heads, length, layer, head, query, from, to, out);
        if (!b) return;
        other.resize(static_cast<size_t>(to - from));
        readRow(*b, heads, length, layer, head, query, from, to, other.data());
        for (int k = 0; k < to - from; ++k)
            out[k] -= other[static_cast<size_t>(k)];
    };
    const QStringList& tokens = spec.source == Source::Corrupted && !corruptedTokenLabels.isEmpty()
                                    ? corruptedTokenLabels
                                    : tokenLabels;
    AttentionMapSnapshot t =
        makeTile(length, length, read, q0, q1, k0, k1, maxCells, maxCells,
                 spec.minus ? TilePooling::MaxAbs : TilePooling::Max, tokens, tokens);
    t.layer = layer;
    t.head = head;
    t.title = mapTitle(spec);
    return t;
}

}  // namespace attnscope::ui
