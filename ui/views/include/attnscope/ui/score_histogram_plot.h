#pragma once

#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/plot_view.h"

#include <vector>

class QCPBars;

namespace attnscope::ui {

/// Distribution of one score over all heads (NaN heads left out).
class ScoreHistogramPlot : public PlotView {
    Q_OBJECT
public:
    explicit ScoreHistogramPlot(QWidget* parent = nullptr);

    void setScores(const HeadScoresSnapshot& scores, int bins = 20);

    /// Counts of `values` (NaN ignored) in `bins` equal bins over [lo, hi]; a value equal
    /// to hi goes into the last bin. Sets *lo/*hi to the data range (hi > lo).
    static std::vector<int> histogram(const std::vector<double>& values, int bins, double* lo,
                                      double* hi);

    QCPBars* bars() const { return m_bars; }

private:
    QCPBars* m_bars = nullptr;
};

}  // namespace attnscope::ui
