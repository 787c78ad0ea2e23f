#pragma once

#include <QWidget>

class QPushButton;
class QTableView;

namespace attnscope::ui {

class InterventionListModel;

/// The edit list as a table (enable, kind, head, parameter; editable in place) with Remove,
/// Clear and "Plugin edit…" (a plugin's attention edit on a head). The model belongs to the caller,
/// which turns every change into an undoable step. GUI thread only.
class InterventionsPanel : public QWidget {
    Q_OBJECT
public:
    explicit InterventionsPanel(InterventionListModel* model, QWidget* parent = nullptr);
    QTableView* table() const { return m_table; }
    QPushButton* pluginEditButton() const { return m_pluginEdit; }

Q_SIGNALS:
    void removeRequested(int row);
    void clearRequested();
    void pluginEditRequested();

private:
    QTableView* m_table = nullptr;
    QPushButton* m_pluginEdit = nullptr;
};

}  // namespace attnscope::ui
