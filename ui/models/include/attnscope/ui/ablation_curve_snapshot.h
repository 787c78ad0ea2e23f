#pragma once

#include <QString>

#include <vector>

namespace attnscope::ui {

/// A metric as heads are removed: `headsRemoved[i]` heads removed in score order give
/// `byScore[i]`; removed at random they give `random[i]` (mean over draws) with the
/// spread `randomStd[i]` (may be empty). All non-empty vectors have the same length.
struct AblationCurveSnapshot {
    QString metric;
    QString score;  // the score that ordered the heads
    std::vector<double> headsRemoved;
    std::vector<double> byScore;
    std::vector<double> random;
    std::vector<double> randomStd;
};

}  // namespace attnscope::ui
