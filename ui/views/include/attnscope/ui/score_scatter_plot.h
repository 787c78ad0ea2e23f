#pragma once

#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/plot_view.h"

#include <vector>

class QCPGraph;
class QMouseEvent;

namespace attnscope::ui {

/// One point per head: two scores against each other (setScores(x, y)), or one score
/// against the layer (setScores(y): heads of a layer spread across [l - 0.3, l + 0.3]).
/// A click near a point (within kPickRadius pixels) selects that head (headClicked) and
/// marks it. Heads with a NaN coordinate are not drawn.
class ScoreScatterPlot : public PlotView {
    Q_OBJECT
public:
    static constexpr double kPickRadius = 8.0;

    explicit ScoreScatterPlot(QWidget* parent = nullptr);

    void setScores(const HeadScoresSnapshot& x, const HeadScoresSnapshot& y);
    void setScores(const HeadScoresSnapshot& y);

    void setSelectedHead(HeadRef head);
    HeadRef selectedHead() const { return m_selected; }

    /// Plot coordinates of a head's point; false when it is not drawn.
    bool pointOf(HeadRef head, QPointF* coords) const;
    /// Nearest head within kPickRadius pixels of a position in plot() coordinates.
    HeadRef headNear(const QPointF& plotPos) const;

    QCPGraph* pointsGraph() const { return m_points; }

Q_SIGNALS:
    void headClicked(int layer, int head);

private:
    struct Point {
        HeadRef head;
        double x;
        double y;
    };
    void setPoints(std::vector<Point> points, const QString& xLabel, const QString& yLabel);
    void onMouseRelease(QMouseEvent* event);
    void updateSelectionGraph();

    QCPGraph* m_points = nullptr;
    QCPGraph* m_selection = nullptr;
    std::vector<Point> m_data;
    HeadRef m_selected;
    QPointF m_pressPos;
};

}  // namespace attnscope::ui
