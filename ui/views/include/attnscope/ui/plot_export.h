#pragma once

#include <QString>
#include <QStringList>

class QCustomPlot;

namespace attnscope::ui {

/// File formats exportPlot() writes, as lower-case suffixes (png, pdf, svg).
QStringList supportedPlotFormats();

/// How a plot is written to a file.
struct PlotExportOptions {
    int width = 0;  // logical size; 0: the widget's current size
    int height = 0;
    /// PNG resolution: the image has width x height x dpi/96 pixels and records the dpi.
    /// 0 means 96 (one pixel per logical unit). PDF and SVG are vector formats.
    double dpi = 0;
    QString title;  // drawn above the plot when not empty
};

/// Writes `plot` to `path` in the format its suffix names (.png, .pdf or .svg). Returns
/// false and sets `*error` on an unknown suffix, a bad size or a failed write. The plot on
/// screen is left as it was.
bool exportPlot(QCustomPlot& plot, const QString& path, const PlotExportOptions& options,
                QString* error = nullptr);

/// exportPlot() at width x height (0: the current size), 96 dpi, without a title.
bool exportPlot(QCustomPlot& plot, const QString& path, int width = 0, int height = 0,
                QString* error = nullptr);

}  // namespace attnscope::ui
