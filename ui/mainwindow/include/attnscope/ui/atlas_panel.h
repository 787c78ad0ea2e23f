#pragma once

#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/head_scores_snapshot.h"

#include <QWidget>

#include <utility>
#include <vector>

class QComboBox;
class QTableView;

namespace attnscope::ui {

class HeadScoresProxyModel;
class HeadScoresTableModel;

/// The head atlas coloured by a chosen score, with the score table (sortable, one row per
/// head) below it. Clicking a cell or a row selects the head. GUI thread only.
class AtlasPanel : public QWidget {
    Q_OBJECT
public:
    explicit AtlasPanel(QWidget* parent = nullptr);

    /// The scores offered in the chooser, as (label, metric key); keeps the current one when
    /// it is still offered.
    void setScoreChoices(const std::vector<std::pair<QString, QString>>& choices);
    /// The chosen score's metric key.
    QString score() const;
    QString scoreLabel() const;
    bool setScore(const QString& metric);
    /// Shows `scores` in the atlas and the table.
    void setScores(const HeadScoresSnapshot& scores);

    HeadAtlasView* atlas() const { return m_atlas; }
    QComboBox* scoreCombo() const { return m_combo; }
    QTableView* table() const { return m_table; }
    HeadScoresTableModel* model() const { return m_model; }

Q_SIGNALS:
    void scoreChanged(const QString& metric);
    /// A click in the atlas or on a table row.
    void headClicked(int layer, int head);

private:
    QComboBox* m_combo = nullptr;
    HeadAtlasView* m_atlas = nullptr;
    QTableView* m_table = nullptr;
    HeadScoresTableModel* m_model = nullptr;
    HeadScoresProxyModel* m_proxy = nullptr;
};

}  // namespace attnscope::ui
