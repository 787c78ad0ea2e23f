#include "attnscope/ui/plot_export.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QFileInfo>

namespace attnscope::ui {

QStringList supportedPlotFormats() {
    return {QStringLiteral("png"), QStringLiteral("pdf")};
}

bool exportPlot(QCustomPlot& plot, const QString& path, int width, int height, QString* error) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (width < 0 || height < 0) return fail(QStringLiteral("negative export size"));
    bool ok = false;
    if (suffix == QLatin1String("png")) {
        ok = plot.savePng(path, width, height, 1.0);
    } else if (suffix == QLatin1String("pdf")) {
        ok = plot.savePdf(path, width, height);
    } else if (suffix == QLatin1String("svg")) {
        return fail(QStringLiteral("SVG export needs Qt SVG, which this build lacks; use PDF"));
    } else {
        return fail(QStringLiteral("unknown plot format \"%1\" (use png or pdf)").arg(suffix));
    }
    return ok ? true : fail(QStringLiteral("could not write %1").arg(path));
}

}  // namespace attnscope::ui
