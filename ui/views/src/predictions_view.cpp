#include "attnscope/ui/predictions_view.h"

#include "attnscope/ui/csv_export.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/predictions_model.h"

#include <QFileDialog>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QTableView>
#include <QVBoxLayout>

namespace attnscope::ui {

PredictionsView::PredictionsView(QWidget* parent) : QWidget(parent) {
    m_model = new PredictionsModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    // Rows one line high: more of them fit in a dock.
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &PredictionsView::showContextMenu);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table);
}

void PredictionsView::setSnapshot(PredictionsSnapshot snapshot) {
    m_model->setSnapshot(std::move(snapshot));
    m_table->resizeColumnsToContents();
}

bool PredictionsView::exportCsv(const QString& path, QString* error) const {
    CsvOptions options;
    options.role = RawValueRole;
    return ui::exportCsv(*m_model, path, options, error);
}

void PredictionsView::showContextMenu(const QPoint& pos) {
    QMenu menu(this);
    menu.addAction(tr("Export CSV\u2026"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export predictions"), QString(),
                                                          tr("CSV (*.csv)"));
        QString error;
        if (!path.isEmpty() && !exportCsv(path, &error))
            QMessageBox::warning(this, tr("Export failed"), error);
    });
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}

}  // namespace attnscope::ui
