#pragma once

#include <QString>

#include <vector>

namespace attnscope::ui {

/// Per-layer probability of one token read off the residual stream (logit lens):
/// `prob[l]` after layer l; `baselineProb` (same length or empty) for the unedited run.
struct LogitLensSnapshot {
    QString token;
    std::vector<double> prob;
    std::vector<double> baselineProb;
};

}  // namespace attnscope::ui
