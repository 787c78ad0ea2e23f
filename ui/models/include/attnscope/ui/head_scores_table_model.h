#pragma once

#include "attnscope/ui/head_scores_snapshot.h"

#include <QAbstractTableModel>

namespace attnscope::ui {

/// One row per head (layer-major order): layer, head, score. Display text of the score
/// has 4 significant decimals ("n/a" for NaN); RawValueRole gives int layer/head and the
/// double score, so a QSortFilterProxyModel with setSortRole(RawValueRole) sorts
/// numerically (HeadScoresProxyModel does that). Lives on the GUI thread.
class HeadScoresTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { LayerColumn = 0, HeadColumn, ScoreColumn, ColumnCount };

    explicit HeadScoresTableModel(QObject* parent = nullptr);

    void setSnapshot(HeadScoresSnapshot snapshot);
    const HeadScoresSnapshot& snapshot() const { return m_snapshot; }

    /// Row of head (layer, head), or -1 when out of range.
    int rowOf(int layer, int head) const;

    static QString formatScore(double score);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    HeadScoresSnapshot m_snapshot;
};

}  // namespace attnscope::ui
