#pragma once

#include "attnscope/ui/plot_view.h"

#include <vector>

class QCPBars;

namespace attnscope::ui {

/// Attention-sink mass per layer as bars (edited run), next to the baseline run's bars
/// when one is given. Mass is the mean attention on the sink token(s), in [0, 1].
class SinkMassPlot : public PlotView {
    Q_OBJECT
public:
    explicit SinkMassPlot(QWidget* parent = nullptr);

    /// `mass[l]` for layer l; `baseline` is empty or has the same length.
    void setSinkMass(const std::vector<double>& mass, const std::vector<double>& baseline = {});

    QCPBars* bars() const { return m_bars; }
    QCPBars* baselineBars() const { return m_baseline; }

private:
    QCPBars* m_bars = nullptr;
    QCPBars* m_baseline = nullptr;
};

}  // namespace attnscope::ui
