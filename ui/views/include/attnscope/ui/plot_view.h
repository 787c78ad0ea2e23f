#pragma once

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

protected:
    QVBoxLayout* mainLayout() const { return m_layout; }
    /// Adds the actions shown on right-click at plot position `pos`; the base adds Export.
    virtual void fillContextMenu(QMenu& menu, const QPoint& pos);

private:
    void showContextMenu(const QPoint& pos);
    void exportWithDialog();

    QVBoxLayout* m_layout = nullptr;
    QCustomPlot* m_plot = nullptr;
};

}  // namespace attnscope::ui
