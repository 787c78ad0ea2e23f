#pragma once

#include "attnscope/ui/head_scores_snapshot.h"

#include <QString>
#include <QtGlobal>

namespace attnscope::ui {

/// An ablation curve of the current prompt: heads are zero-ablated cumulatively in
/// descending `scores` order (NaN scores skipped), n = 0..maxHeads, and the probability of
/// the baseline run's top prediction is measured; `randomOrders` seeded random orders of the
/// same scored heads give the reference (mean and std). Equal scores keep (layer, head) order.
struct AblationCurveRequest {
    HeadScoresSnapshot scores;
    QString scoreLabel;  ///< names the score in the plot; the score's metric when empty
    int maxHeads = 16;   ///< capped at the number of scored heads
    int randomOrders = 5;
    quint64 seed = 1;
};

}  // namespace attnscope::ui
