#include "attnscope/ui/plot_view.h"

#include "attnscope/ui/plot_export.h"
#include "attnscope/ui/plot_export_dialog.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QVBoxLayout>

namespace attnscope::ui {

PlotView::PlotView(QWidget* parent) : QWidget(parent) {
    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(2);
    m_plot = new QCustomPlot(this);
    m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
    m_layout->addWidget(m_plot, 1);
    connect(m_plot, &QWidget::customContextMenuRequested, this, &PlotView::showContextMenu);
}

PlotView::~PlotView() = default;

bool PlotView::exportTo(const QString& path, int width, int height, QString* error) const {
    return exportPlot(*m_plot, path, width, height, error);
}

bool PlotView::exportTo(const QString& path, const PlotExportOptions& options,
                        QString* error) const {
    return exportPlot(*m_plot, path, options, error);
}

QString PlotView::exportTitle() const {
    return m_plot->xAxis->label().isEmpty() && m_plot->yAxis->label().isEmpty()
               ? QString()
               : tr("%1 by %2").arg(m_plot->yAxis->label(), m_plot->xAxis->label());
}

void PlotView::fillContextMenu(QMenu& menu, const QPoint&) {
    menu.addAction(tr("Export image\u2026"), this, &PlotView::exportWithDialog);
}

void PlotView::showContextMenu(const QPoint& pos) {
    QMenu menu(this);
    fillContextMenu(menu, pos);
    if (!menu.isEmpty()) menu.exec(m_plot->mapToGlobal(pos));
}

void PlotView::exportWithDialog() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export plot"), QString(), tr("PNG image (*.png);;PDF (*.pdf);;SVG (*.svg)"));
    if (path.isEmpty()) return;
    PlotExportOptions defaults;
    defaults.width = m_plot->width();
    defaults.height = m_plot->height();
    defaults.dpi = 150;
    defaults.title = exportTitle();
    PlotExportDialog dialog(defaults, this);
    if (dialog.exec() != QDialog::Accepted) return;
    QString error;
    if (!exportTo(path, dialog.options(), &error))
        QMessageBox::warning(this, tr("Export failed"), error);
}

}  // namespace attnscope::ui
