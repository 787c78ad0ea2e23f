#pragma once

#include "attnscope/ui/plot_export.h"

#include <QWidget>

class QCustomPlot;
class QMenu;
class QVBoxLayout;

namespace attnscope::ui {

/// Base of the plot widgets: a QCustomPlot in a vertical layout, export to PNG/PDF/SVG, and
/// a right-click menu on the plot with "Export…" (subclasses may add actions through
/// fillContextMenu()). GUI thread only.
class PlotView : public QWidget {
    Q_OBJECT
public:
    explicit PlotView(QWidget* parent = nullptr);
    ~PlotView() override;

    QCustomPlot* plot() const { return m_plot; }

    /// See exportPlot(): format from the suffix, 0 = current size.
    bool exportTo(const QString& path, int width = 0, int height = 0,
                  QString* error = nullptr) const;
    bool exportTo(const QString& path, const PlotExportOptions& options,
                  QString* error = nullptr) const;
    /// The title an export offers: what the plot shows (subclasses name layer, head, mode).
    virtual QString exportTitle() const;
    /// Asks for a file, then for size, dpi and title (PlotExportDialog), and writes it.
    void exportWithDialog();

protected:
    QVBoxLayout* mainLayout() const { return m_layout; }
    /// Adds the actions shown on right-click at plot position `pos`; the base adds Export.
    virtual void fillContextMenu(QMenu& menu, const QPoint& pos);

private:
    void showContextMenu(const QPoint& pos);

    QVBoxLayout* m_layout = nullptr;
    QCustomPlot* m_plot = nullptr;
};

}  // namespace attnscope::ui
