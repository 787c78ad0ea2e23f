#include "attnscope/ui/plot_export_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

namespace attnscope::ui {

PlotExportDialog::PlotExportDialog(const PlotExportOptions& d, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Export plot"));
    auto* form = new QFormLayout(this);
    m_width = new QSpinBox(this);
    m_width->setObjectName(QStringLiteral("exportWidth"));
    m_width->setRange(64, 10000);
    m_width->setValue(d.width);
    m_height = new QSpinBox(this);
    m_height->setObjectName(QStringLiteral("exportHeight"));
    m_height->setRange(64, 10000);
    m_height->setValue(d.height);
    m_dpi = new QDoubleSpinBox(this);
    m_dpi->setObjectName(QStringLiteral("exportDpi"));
    m_dpi->setRange(24, 1200);
    m_dpi->setDecimals(0);
    m_dpi->setValue(d.dpi > 0 ? d.dpi : 96);
    m_dpi->setToolTip(tr("PNG only: pixels = size \u00d7 dpi / 96; PDF and SVG are vectors"));
    m_title = new QLineEdit(d.title, this);
    m_title->setObjectName(QStringLiteral("exportTitle"));
    form->addRow(tr("Width"), m_width);
    form->addRow(tr("Height"), m_height);
    form->addRow(tr("Resolution (dpi)"), m_dpi);
    form->addRow(tr("Title"), m_title);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

PlotExportOptions PlotExportDialog::options() const {
    PlotExportOptions o;
    o.width = m_width->value();
    o.height = m_height->value();
    o.dpi = m_dpi->value();
    o.title = m_title->text().trimmed();
    return o;
}

}  // namespace attnscope::ui
