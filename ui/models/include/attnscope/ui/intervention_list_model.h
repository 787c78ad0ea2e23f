#pragma once

#include "attnscope/ui/intervention_item.h"

#include <QAbstractTableModel>

namespace attnscope::ui {

/// The live list of edits: one row per intervention with an "enabled" checkbox
/// (column 0), kind, layer, head, an editable numeric parameter and a description.
/// User edits (check/uncheck, parameter edits, addItem, removeRows, clear) emit
/// itemsChanged(), which the controller debounces into a new run; setItems() (the
/// controller pushing state in) resets the model without emitting it. GUI thread only.
class InterventionListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        EnabledColumn = 0,
        KindColumn,
        LayerColumn,
        HeadColumn,
        ParamColumn,
        DescriptionColumn,
        ColumnCount
    };

    explicit InterventionListModel(QObject* parent = nullptr);

    void setItems(InterventionList items);
    const InterventionList& items() const { return m_items; }

    /// Appends an item; returns its row.
    int addItem(InterventionItem item);
    /// Row of the first item with this kind on head (layer, head), or -1.
    int findItem(const QString& kind, int layer, int head) const;
    /// Removes every item.
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool removeRows(int row, int count, const QModelIndex& parent = {}) override;

Q_SIGNALS:
    /// The user changed the list; read items() for the new state.
    void itemsChanged();

private:
    InterventionList m_items;
};

}  // namespace attnscope::ui
