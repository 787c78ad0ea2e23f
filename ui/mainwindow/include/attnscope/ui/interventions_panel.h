#pragma once

#include <QWidget>

class QTableView;

namespace attnscope::ui {

class InterventionListModel;

/// The edit list as a table (enable, kind, head, parameter; editable in place) with Remove
/// and Clear. The model belongs to the caller, which turns every change into an undoable
/// step. GUI thread only.
class InterventionsPanel : public QWidget {
    Q_OBJECT
public:
    explicit InterventionsPanel(InterventionListModel* model, QWidget* parent = nullptr);
    QTableView* table() const { return m_table; }

Q_SIGNALS:
    void removeRequested(int row);
    void clearRequested();

private:
    QTableView* m_table = nullptr;
};

}  // namespace attnscope::ui
