#pragma once
// Factories of the built-in metrics; builtin_metrics.cpp registers them all.
#include <memory>

#include "attnscope/analysis/metric.h"

namespace attnscope::analysis {

std::shared_ptr<const Metric> makeSinkMassMetric();
std::shared_ptr<const Metric> makeSinkRateMetric();
std::shared_ptr<const Metric> makeActHiddenSinkMetric();
std::shared_ptr<const Metric> makeHeavyHitterMetric();
std::shared_ptr<const Metric> makeRowEntropyMetric();
std::shared_ptr<const Metric> makeRetrievalScoreMetric();
std::shared_ptr<const Metric> makeRetrievalMaskingMetric();
std::shared_ptr<const Metric> makeDormantMetric();
std::shared_ptr<const Metric> makeValueDrainMetric();
std::shared_ptr<const Metric> makeResidualPeakMetric();
std::shared_ptr<const Metric> makeActiveDormantFlipMetric();
std::shared_ptr<const Metric> makeDuoAttentionMetric();
std::shared_ptr<const Metric> makeStreamingProxyMetric();
std::shared_ptr<const Metric> makeA2sfMetric();
std::shared_ptr<const Metric> makeVhdMetric();
std::shared_ptr<const Metric> makeShipsMetric();
std::shared_ptr<const Metric> makeSaharaMetric();
std::shared_ptr<const Metric> makeAblationAsrMetric();

}  // namespace attnscope::analysis
