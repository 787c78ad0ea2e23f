#include "attnscope/ui/run_snapshot.h"

#include <QObject>

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
    switch (average) {
        case MapAverage::Head:
            m.title = QObject::tr("Layer %1 \u00b7 head %2").arg(layer).arg(head);
            break;
        case MapAverage::LayerHeads:
            m.title = QObject::tr("Layer %1 \u00b7 mean of its %2 heads").arg(layer).arg(heads);
            break;
        case MapAverage::AllHeads:
            m.title =
                QObject::tr("Mean of all %1 heads (%2 layers)").arg(layers * heads).arg(layers);
            break;
    }
    if (source == Source::Baseline) m.title += QObject::tr(" \u00b7 baseline");
    if (source == Source::Corrupted) m.title += QObject::tr(" \u00b7 corrupted prompt");
    m.rows = m.cols = length;
    // The corrupted prompt's map is labelled with its own tokens.
    m.rowTokens = m.colTokens = source == Source::Corrupted && !corruptedTokenLabels.isEmpty()
                                    ? corruptedTokenLabels
                                    : tokenLabels;
    return m;
}

}  // namespace attnscope::ui
