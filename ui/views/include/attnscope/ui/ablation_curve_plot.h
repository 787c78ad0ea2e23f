#pragma once

#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/plot_view.h"

class QCPGraph;

namespace attnscope::ui {

/// A metric against the number of heads removed: heads removed in score order (solid)
/// against heads removed at random (dashed, with a ±1 std band when given).
class AblationCurvePlot : public PlotView {
    Q_OBJECT
public:
    explicit AblationCurvePlot(QWidget* parent = nullptr);

    void setCurve(const AblationCurveSnapshot& curve);

    QCPGraph* byScoreGraph() const { return m_byScore; }
    QCPGraph* randomGraph() const { return m_random; }

private:
    QCPGraph* m_byScore = nullptr;
    QCPGraph* m_random = nullptr;
    QCPGraph* m_bandLow = nullptr;
    QCPGraph* m_bandHigh = nullptr;
};

}  // namespace attnscope::ui
