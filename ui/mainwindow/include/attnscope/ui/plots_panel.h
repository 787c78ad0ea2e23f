#pragma once

#include "attnscope/ui/ablation_curve_snapshot.h"
#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/run_snapshot.h"

#include <QWidget>

#include <utility>
#include <vector>

class QComboBox;
class QPushButton;
class QTabWidget;

namespace attnscope::ui {

class AblationCurvePlot;
class LogitLensPlot;
class ScoreHistogramPlot;
class ScoreScatterPlot;
class SinkMassPlot;

/// The plots, one tab each: sink mass per layer, the atlas score's histogram, the atlas
/// score against the layer or another score, the logit lens, and the ablation curve (with
/// the button that starts it). GUI thread only.
class PlotsPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlotsPanel(QWidget* parent = nullptr);

    /// Sink mass and logit lens of a run.
    void setRun(const RunSnapshot& run);
    /// The histogram and the scatter plot of the atlas score (`y`), against `x` when given
    /// and of the same shape, else against the layer.
    void setScores(const HeadScoresSnapshot& y, const HeadScoresSnapshot* x);
    void setSelectedHead(HeadRef head);
    /// The scores the scatter plot's x axis offers, as (label, metric key), after "layer".
    void setScatterChoices(const std::vector<std::pair<QString, QString>>& choices);
    /// The x axis' metric key; empty for the layer.
    QString scatterX() const;
    void setCurve(const AblationCurveSnapshot& curve);
    /// Brings the ablation curve's tab to the front.
    void showCurve();
    void setCurveRunning(bool running);

    QTabWidget* tabs() const { return m_tabs; }
    QComboBox* scatterXCombo() const { return m_scatterX; }
    ScoreScatterPlot* scatter() const { return m_scatter; }
    LogitLensPlot* lens() const { return m_lens; }
    AblationCurvePlot* curve() const { return m_curve; }
    SinkMassPlot* sinkMass() const { return m_sink; }
    QPushButton* curveButton() const { return m_curveButton; }

Q_SIGNALS:
    void scatterXChanged();
    void curveRequested();
    void headClicked(int layer, int head);

private:
    QTabWidget* m_tabs = nullptr;
    SinkMassPlot* m_sink = nullptr;
    ScoreHistogramPlot* m_histogram = nullptr;
    QComboBox* m_scatterX = nullptr;
    ScoreScatterPlot* m_scatter = nullptr;
    LogitLensPlot* m_lens = nullptr;
    QWidget* m_curveTab = nullptr;
    QPushButton* m_curveButton = nullptr;
    AblationCurvePlot* m_curve = nullptr;
};

}  // namespace attnscope::ui
