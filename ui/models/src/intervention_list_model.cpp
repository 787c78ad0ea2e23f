#include "attnscope/ui/intervention_list_model.h"

#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/item_roles.h"

#include <QStringList>

#include <cmath>

namespace attnscope::ui {
namespace {

// "plugin:temperature temperature=3": what a plugin edit does, in the parameter column.
QString pluginEditText(const InterventionItem& it) {
    QStringList parts{it.plugin};
    for (auto p = it.params.cbegin(); p != it.params.cend(); ++p)
        parts << p.key() + QLatin1Char('=') + p.value();
    return parts.join(QLatin1Char(' '));
}

}  // namespace

InterventionListModel::InterventionListModel(QObject* parent) : QAbstractTableModel(parent) {}

void InterventionListModel::setItems(InterventionList items) {
    beginResetModel();
    m_items = std::move(items);
    endResetModel();
}

int InterventionListModel::addItem(InterventionItem item) {
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_items.push_back(std::move(item));
    endInsertRows();
    Q_EMIT itemsChanged();
    return row;
}

int InterventionListModel::findItem(const QString& kind, int layer, int head) const {
    for (size_t i = 0; i < m_items.size(); ++i) {
        const auto& it = m_items[i];
        if (it.kind == kind && it.layer == layer && it.head == head) return static_cast<int>(i);
    }
    return -1;
}

void InterventionListModel::clear() {
    if (m_items.empty()) return;
    removeRows(0, rowCount());
}

int InterventionListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

int InterventionListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InterventionListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto& it = m_items[static_cast<size_t>(index.row())];
    const int col = index.column();
    if (role == Qt::CheckStateRole && col == EnabledColumn)
        return it.enabled ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::DisplayRole || role == Qt::EditRole || role == RawValueRole) {
        switch (col) {
            case EnabledColumn:
                return role == RawValueRole ? QVariant(it.enabled) : QVariant();
            case KindColumn:
                return it.kind;
            case LayerColumn:
            case HeadColumn:
                if (it.kind == kinds::kRemoveEdge)  // an edge names no head: show its name
                    return col == LayerColumn && role != RawValueRole ? QVariant(it.edge)
                                                                      : QVariant();
                return col == LayerColumn ? it.layer : it.head;
            case ParamColumn:
                if (it.kind == kinds::kPluginEdit)  // its parameters are the plugin's own
                    return role == RawValueRole ? QVariant() : QVariant(pluginEditText(it));
                return role == Qt::DisplayRole ? QVariant(QString::number(it.param, 'g', 6))
                                               : QVariant(it.param);
            case DescriptionColumn:
                return it.description;
        }
    }
    return {};
}

bool InterventionListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return false;
    auto& it = m_items[static_cast<size_t>(index.row())];
    if (role == Qt::CheckStateRole && index.column() == EnabledColumn) {
        const bool enabled = value.toInt() == Qt::Checked;
        if (enabled == it.enabled) return true;
        it.enabled = enabled;
    } else if (role == Qt::EditRole && index.column() == ParamColumn) {
        bool ok = false;
        const double param = value.toDouble(&ok);
        if (!ok || !std::isfinite(param)) return false;
        if (param == it.param) return true;
        it.param = param;
    } else {
        return false;
    }
    Q_EMIT dataChanged(index, index, {role, Qt::DisplayRole});
    Q_EMIT itemsChanged();
    return true;
}

Qt::ItemFlags InterventionListModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (!index.isValid()) return f;
    if (index.column() == EnabledColumn) f |= Qt::ItemIsUserCheckable;
    if (index.column() == ParamColumn &&
        m_items[static_cast<size_t>(index.row())].kind != kinds::kPluginEdit)
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant InterventionListModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const {
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
    switch (section) {
        case EnabledColumn:
            return tr("On");
        case KindColumn:
            return tr("Kind");
        case LayerColumn:
            return tr("Layer");
        case HeadColumn:
            return tr("Head");
        case ParamColumn:
            return tr("Parameter");
        case DescriptionColumn:
            return tr("Description");
    }
    return {};
}

bool InterventionListModel::removeRows(int row, int count, const QModelIndex& parent) {
    if (parent.isValid() || row < 0 || count <= 0 || row + count > rowCount()) return false;
    beginRemoveRows({}, row, row + count - 1);
    m_items.erase(m_items.begin() + row, m_items.begin() + row + count);
    endRemoveRows();
    Q_EMIT itemsChanged();
    return true;
}

}  // namespace attnscope::ui
