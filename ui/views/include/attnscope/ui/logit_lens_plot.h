#pragma once

#include "attnscope/ui/logit_lens_snapshot.h"
#include "attnscope/ui/plot_view.h"

class QCPGraph;

namespace attnscope::ui {

/// Probability of the predicted token read off the residual stream after each layer,
/// edited (solid) and baseline (dashed); y in [0, 1].
class LogitLensPlot : public PlotView {
    Q_OBJECT
public:
    explicit LogitLensPlot(QWidget* parent = nullptr);

    void setSnapshot(const LogitLensSnapshot& lens);

    QCPGraph* probGraph() const { return m_prob; }
    QCPGraph* baselineGraph() const { return m_baseline; }

private:
    QCPGraph* m_prob = nullptr;
    QCPGraph* m_baseline = nullptr;
};

}  // namespace attnscope::ui
