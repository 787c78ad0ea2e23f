#pragma once

#include <QString>
#include <QStringList>

class QCustomPlot;

namespace attnscope::ui {

/// File formats exportPlot() writes, as lower-case suffixes. SVG is absent: it needs
/// QSvgGenerator (qt6-svg), which this toolchain does not ship.
QStringList supportedPlotFormats();

/// Writes `plot` to `path` in the format its suffix names (.png or .pdf). A width or
/// height of 0 uses the widget's current size. PNG gets exactly width x height pixels.
/// Returns false and sets `*error` on an unknown suffix or a failed write.
bool exportPlot(QCustomPlot& plot, const QString& path, int width = 0, int height = 0,
                QString* error = nullptr);

}  // namespace attnscope::ui
