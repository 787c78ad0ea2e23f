#include "attnscope/ui/head_scores_proxy_model.h"

#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/item_roles.h"

#include <cmath>

namespace attnscope::ui {

HeadScoresProxyModel::HeadScoresProxyModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(RawValueRole);
}

void HeadScoresProxyModel::setLayerFilter(int layer) {
    if (layer == m_layer) return;
    // Qt 6.4 has no begin/endFilterChange; invalidateFilter() re-runs filterAcceptsRow().
    m_layer = layer;
    invalidateFilter();
}

bool HeadScoresProxyModel::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    if (l.typeId() == QMetaType::Double || r.typeId() == QMetaType::Double) {
        const double a = l.toDouble();
        const double b = r.toDouble();
        if (std::isnan(a) != std::isnan(b)) {
            // NaN last in both orders; Qt sorts descending by calling lessThan(right, left).
            return sortOrder() == Qt::AscendingOrder ? std::isnan(b) : std::isnan(a);
        }
        if (!std::isnan(a) && a != b) return a < b;
    } else if (l != r) {
        return QSortFilterProxyModel::lessThan(left, right);
    }
    // Ties: layer-major head order keeps the sort stable and deterministic.
    return left.row() < right.row();
}

bool HeadScoresProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (m_layer < 0) return true;
    const QModelIndex idx =
        sourceModel()->index(sourceRow, HeadScoresTableModel::LayerColumn, sourceParent);
    return idx.data(RawValueRole).toInt() == m_layer;
}

}  // namespace attnscope::ui
