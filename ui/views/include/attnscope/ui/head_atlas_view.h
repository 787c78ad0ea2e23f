#pragma once

#include "attnscope/ui/head_scores_snapshot.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QWidget>

#include <vector>

class QMenu;

namespace attnscope::ui {

/// A head's position in the model.
struct HeadRef {
    int layer = -1;
    int head = -1;
    bool isValid() const { return layer >= 0 && head >= 0; }
    bool operator==(const HeadRef& o) const { return layer == o.layer && head == o.head; }
    bool operator!=(const HeadRef& o) const { return !(*this == o); }
};

/// An edit on a head, as the atlas marks it.
struct HeadEditMark {
    HeadRef head;
    QString kind;  // intervention_kinds.h
    double param = 0.0;
};

/// The layer x head grid (layer 0 on top, head 0 on the left) coloured by one score
/// (viridis over the score's range, NaN grey) with a colour legend on the right.
/// Click selects a head (outlined; headClicked), Ctrl+click toggles its ablation mark
/// (a cross; ablationToggled), right-click offers interventions on the head
/// (interventionRequested with a kind from intervention_kinds.h). The ablation marks
/// are the view's state; a controller that owns the edit list syncs them with
/// setAblatedHeads() or, for every kind of edit, setEditMarks(): zero ablations are a
/// cross, other edits a badge in the cell ("mean", "×0.5", "win 8", "ACT", "patch").
/// GUI thread only.
class HeadAtlasView : public QWidget {
    Q_OBJECT
public:
    explicit HeadAtlasView(QWidget* parent = nullptr);

    /// Colours the grid; keeps selection and ablation marks that still fit the shape.
    void setScores(HeadScoresSnapshot scores);
    const HeadScoresSnapshot& scores() const { return m_scores; }
    int layers() const { return m_scores.layers; }
    int heads() const { return m_scores.heads; }

    void setSelectedHead(HeadRef head);  // an invalid HeadRef clears the selection
    HeadRef selectedHead() const { return m_selected; }

    void setAblated(HeadRef head, bool ablated);
    bool isAblated(HeadRef head) const;
    void setAblatedHeads(const std::vector<HeadRef>& heads);
    std::vector<HeadRef> ablatedHeads() const;
    /// Marks every enabled edit: zero ablations as crosses (as setAblatedHeads()), the other
    /// kinds as badges.
    void setEditMarks(const std::vector<HeadEditMark>& marks);
    /// The badges drawn on a head, in edit order ("mean", "×0.5", ...); crosses not included.
    QStringList editBadges(HeadRef head) const;
    /// A badge's text for an edit kind and parameter.
    static QString badgeText(const QString& kind, double param);

    /// The area the cells fill: cell (l, h) spans x in [left + h*w/heads, left +
    /// (h+1)*w/heads) and y likewise by layer, with w, height from this rect.
    QRect gridRect() const;
    QRectF cellRect(HeadRef head) const;
    HeadRef headAt(const QPoint& pos) const;

    /// The right-click menu for one head; the caller owns it. Each action's data() is its
    /// intervention kind; triggering it emits interventionRequested(kind, layer, head).
    QMenu* createContextMenu(HeadRef head, QWidget* parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void headClicked(int layer, int head);
    /// Ctrl+click toggled the head's ablation mark; isAblated() gives the new state.
    void ablationToggled(int layer, int head);
    /// The user asked for an intervention on the head (kinds::kZeroAblation, ...);
    /// for kinds with a parameter (kScale) the receiver asks for its value.
    void interventionRequested(const QString& kind, int layer, int head);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool event(QEvent* event) override;

private:
    QRect legendRect() const;
    QColor colourOf(double score) const;
    int index(HeadRef head) const { return head.layer * m_scores.heads + head.head; }
    void paintLabels(QPainter& p, const QRect& grid) const;
    void paintLegend(QPainter& p) const;
    void paintBadges(QPainter& p) const;

    HeadScoresSnapshot m_scores;
    mutable QCPColorGradient m_gradient;  // color() updates its lookup table
    QCPRange m_range{0, 1};
    HeadRef m_selected;
    std::vector<bool> m_ablated;         // [layer, head]
    std::vector<HeadEditMark> m_badges;  // edits other than zero ablation
};

}  // namespace attnscope::ui
