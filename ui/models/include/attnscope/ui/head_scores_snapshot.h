#pragma once

#include <QString>

#include <cmath>
#include <vector>

namespace attnscope::ui {

/// One per-head metric over the whole model: `values` is row-major [layer, head]
/// (layers * heads entries); NaN marks a head the metric did not score.
struct HeadScoresSnapshot {
    QString metric;
    int layers = 0;
    int heads = 0;
    std::vector<double> values;  // [layer, head], row-major
    QString description;
    QString paramsJson;  // how it was computed (metric parameters, dataset), as JSON

    double at(int layer, int head) const {
        return values[static_cast<size_t>(layer) * heads + head];
    }
    bool isValid() const {
        return layers > 0 && heads > 0 && values.size() == static_cast<size_t>(layers) * heads;
    }
};

}  // namespace attnscope::ui
