#include "attnscope/ui/head_scores_table_model.h"

#include "attnscope/ui/item_roles.h"

#include <cmath>

namespace attnscope::ui {

HeadScoresTableModel::HeadScoresTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void HeadScoresTableModel::setSnapshot(HeadScoresSnapshot snapshot) {
    beginResetModel();
    m_snapshot = std::move(snapshot);
    if (!m_snapshot.isValid()) m_snapshot = HeadScoresSnapshot{m_snapshot.metric, 0, 0, {}, {}, {}};
    endResetModel();
}

int HeadScoresTableModel::rowOf(int layer, int head) const {
    if (layer < 0 || head < 0 || layer >= m_snapshot.layers || head >= m_snapshot.heads) return -1;
    return layer * m_snapshot.heads + head;
}

QString HeadScoresTableModel::formatScore(double score) {
    if (std::isnan(score)) return QStringLiteral("n/a");
    return QString::number(score, 'f', 4);
}

int HeadScoresTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : m_snapshot.layers * m_snapshot.heads;
}

int HeadScoresTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HeadScoresTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int layer = index.row() / m_snapshot.heads;
    const int head = index.row() % m_snapshot.heads;
    const double score = m_snapshot.at(layer, head);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
            case LayerColumn:
                return QString::number(layer);
            case HeadColumn:
                return QString::number(head);
            case ScoreColumn:
                return formatScore(score);
        }
    } else if (role == RawValueRole) {
        switch (index.column()) {
            case LayerColumn:
                return layer;
            case HeadColumn:
                return head;
            case ScoreColumn:
                return score;
        }
    } else if (role == Qt::TextAlignmentRole) {
        return static_cast<int>(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::ToolTipRole && !m_snapshot.description.isEmpty()) {
        return m_snapshot.description;
    }
    return {};
}

QVariant HeadScoresTableModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const {
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
    switch (section) {
        case LayerColumn:
            return tr("Layer");
        case HeadColumn:
            return tr("Head");
        case ScoreColumn:
            return m_snapshot.metric.isEmpty() ? tr("Score") : m_snapshot.metric;
    }
    return {};
}

}  // namespace attnscope::ui
