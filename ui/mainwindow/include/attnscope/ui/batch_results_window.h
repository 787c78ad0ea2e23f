#pragma once

#include <QString>
#include <QWidget>

#include <memory>
#include <vector>

#include "attnscope/app/batch.h"

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace attnscope::ui {

class HeadAtlasView;

/// A batch results file (File ▸ Open results): the aggregated atlas of a head score (mean
/// over a model's items under one edit list), the per-item table, and the clicked item's
/// tables as text. Shows plain values that app::readBatchResults read on the worker. GUI thread
/// only.
class BatchResultsWindow : public QWidget {
    Q_OBJECT
public:
    explicit BatchResultsWindow(QWidget* parent = nullptr);

    /// Shows `file`, read from `path` (off the GUI thread: AppController::openBatchResults),
    /// and raises the window.
    void showResults(std::shared_ptr<const app::BatchResultsFile> file, const QString& path);

    QComboBox* aggregateChooser() const { return m_aggregate; }
    HeadAtlasView* atlas() const { return m_atlas; }
    QTableWidget* itemTable() const { return m_items; }
    QPlainTextEdit* details() const { return m_details; }
    /// Shows item `row`'s tables in the details pane (what a click does).
    void showItem(int row);

private:
    void showAggregate(int index);

    std::shared_ptr<const app::BatchResultsFile> m_file;
    const app::BatchResultsFile& results() const { return *m_file; }
    QLabel* m_summary = nullptr;
    QComboBox* m_aggregate = nullptr;
    HeadAtlasView* m_atlas = nullptr;
    QTableWidget* m_items = nullptr;
    QPlainTextEdit* m_details = nullptr;
};

}  // namespace attnscope::ui
