#include "attnscope/ui/run_snapshot.h"

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
    m.layer = layer;
    m.head = average == MapAverage::Head ? head : -1;
    m.rows = m.cols = length;
    // The corrupted prompt's map is labelled with its own tokens.
    m.rowTokens = m.colTokens = source == Source::Corrupted && !corruptedTokenLabels.isEmpty()
                                    ? corruptedTokenLabels
                                    : tokenLabels;
    return m;
}

}  // namespace attnscope::ui
