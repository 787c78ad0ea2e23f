#pragma once

#include <QSortFilterProxyModel>

namespace attnscope::ui {

/// Sort/filter proxy for HeadScoresTableModel: sorts numerically by RawValueRole (NaN
/// scores last in both orders) and can hide heads outside a layer.
class HeadScoresProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit HeadScoresProxyModel(QObject* parent = nullptr);

    /// Show only heads of `layer`; -1 shows all.
    void setLayerFilter(int layer);
    int layerFilter() const { return m_layer; }

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    int m_layer = -1;
};

}  // namespace attnscope::ui
