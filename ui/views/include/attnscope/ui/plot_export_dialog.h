#pragma once

#include "attnscope/ui/plot_export.h"

#include <QDialog>

class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace attnscope::ui {

/// Asks how to export a plot: width and height (logical units), PNG resolution in dpi, and
/// the title drawn above it (prefilled with what the plot shows). GUI thread only.
class PlotExportDialog : public QDialog {
    Q_OBJECT
public:
    PlotExportDialog(const PlotExportOptions& defaults, QWidget* parent = nullptr);
    PlotExportOptions options() const;

private:
    QSpinBox* m_width = nullptr;
    QSpinBox* m_height = nullptr;
    QDoubleSpinBox* m_dpi = nullptr;
    QLineEdit* m_title = nullptr;
};

}  // namespace attnscope::ui
