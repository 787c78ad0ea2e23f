#pragma once

#include "attnscope/ui/predictions_snapshot.h"

#include <QWidget>

class QTableView;

namespace attnscope::ui {

class PredictionsModel;

/// Next-token predictions, edited vs baseline, in a table whose delta column is
/// coloured by PredictionsModel (green up, red down). Right-click exports CSV.
class PredictionsView : public QWidget {
    Q_OBJECT
public:
    explicit PredictionsView(QWidget* parent = nullptr);

    void setSnapshot(PredictionsSnapshot snapshot);
    PredictionsModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

    /// Writes the table as CSV with raw numbers (RawValueRole).
    bool exportCsv(const QString& path, QString* error = nullptr) const;

private:
    void showContextMenu(const QPoint& pos);

    PredictionsModel* m_model = nullptr;
    QTableView* m_table = nullptr;
};

}  // namespace attnscope::ui
