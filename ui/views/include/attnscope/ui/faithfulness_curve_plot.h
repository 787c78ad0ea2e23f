#pragma once

#include "attnscope/analysis/circuits/circuit.h"
#include "attnscope/ui/plot_view.h"

class QCPGraph;
class QCPItemText;
class QMouseEvent;

namespace attnscope::ui {

/// Faithfulness against the share of edges kept, on the MIB edge-count grid (0.1 % to 100 %,
/// log axis), with CPR and CMD in the title line, a dotted line at 1 (the full model) and the
/// current circuit as a marker. Clicking a grid point emits edgeCountClicked with its edge
/// count (the circuit panel sets its slider to it). GUI thread only.
class FaithfulnessCurvePlot : public PlotView {
    Q_OBJECT
public:
    explicit FaithfulnessCurvePlot(QWidget* parent = nullptr);

    void setCurve(const std::vector<analysis::circuits::FaithfulnessPoint>& curve, double cpr,
                  double cmd);
    /// The current circuit: `edges` of `totalEdges` with that faithfulness (NaN: none yet).
    void setCurrent(int64_t edges, int64_t totalEdges, double faithfulness);
    void clear();

    const std::vector<analysis::circuits::FaithfulnessPoint>& curve() const { return m_curve; }
    double currentFaithfulness() const { return m_currentFaithfulness; }
    int64_t currentEdges() const { return m_currentEdges; }
    QString summaryText() const;
    QCPGraph* curveGraph() const { return m_curveGraph; }
    QCPGraph* currentGraph() const { return m_currentGraph; }
    /// The plot position (pixels in plot()) of curve point `index`.
    QPointF pointPosition(int index) const;

Q_SIGNALS:
    void edgeCountClicked(qint64 edges);

private:
    void onPlotClick(QMouseEvent* event);

    std::vector<analysis::circuits::FaithfulnessPoint> m_curve;
    double m_cpr = NAN;
    double m_cmd = NAN;
    int64_t m_currentEdges = -1;
    double m_currentFaithfulness = NAN;
    QCPGraph* m_curveGraph = nullptr;
    QCPGraph* m_currentGraph = nullptr;
    QCPGraph* m_fullModel = nullptr;
    QCPItemText* m_summary = nullptr;
};

}  // namespace attnscope::ui
