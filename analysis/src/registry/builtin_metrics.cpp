#include "builtin_metrics.h"

namespace attnscope::analysis {

MetricRegistry& MetricRegistry::global() {
    static MetricRegistry registry = [] {
        MetricRegistry r;
        for (auto make : {makeSinkMassMetric, makeSinkRateMetric, makeActHiddenSinkMetric,
                          makeHeavyHitterMetric, makeRowEntropyMetric, makeRetrievalScoreMetric,
                          makeRetrievalMaskingMetric, makeDormantMetric, makeValueDrainMetric,
                          makeResidualPeakMetric, makeActiveDormantFlipMetric,
                          makeDuoAttentionMetric, makeStreamingProxyMetric, makeA2sfMetric,
                          makeVhdMetric, makeShipsMetric, makeSaharaMetric, makeAblationAsrMetric})
            r.add(make());
        return r;
    }();
    return registry;
}

}  // namespace attnscope::analysis
