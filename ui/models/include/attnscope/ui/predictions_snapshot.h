#pragma once

#include <QString>
#include <QtGlobal>

#include <vector>

namespace attnscope::ui {

/// Next-token predictions of the edited run next to the baseline (unedited) run.
/// Probabilities are in [0, 1]; rows are shown in the given order.
struct PredictionsSnapshot {
    struct Row {
        qint64 id = 0;  // token id
        QString token;  // decoded token text
        double prob = 0.0;
        double baselineProb = 0.0;
    };
    std::vector<Row> rows;
};

}  // namespace attnscope::ui
