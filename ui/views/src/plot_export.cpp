#include "attnscope/ui/plot_export.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QFileInfo>
#include <QSvgGenerator>

namespace attnscope::ui {
namespace {

// QCustomPlot writes PNG and PDF itself; SVG goes through Qt SVG's paint device. A size of 0
// means the plot's current size, as savePng/savePdf take it.
bool saveSvg(QCustomPlot& plot, const QString& path, int width, int height) {
    const int w = width > 0 ? width : plot.width();
    const int h = height > 0 ? height : plot.height();
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(QSize(w, h));
    svg.setViewBox(QRect(0, 0, w, h));
    svg.setTitle(QStringLiteral("AttnScope plot"));
    QCPPainter painter;
    if (!painter.begin(&svg)) return false;
    plot.toPainter(&painter, w, h);
    return painter.end();
}

}  // namespace

QStringList supportedPlotFormats() {
    return {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")};
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
        ok = saveSvg(plot, path, width, height);
    } else {
        return fail(QStringLiteral("unknown plot format \"%1\" (use png, pdf or svg)").arg(suffix));
    }
    return ok ? true : fail(QStringLiteral("could not write %1").arg(path));
}

}  // namespace attnscope::ui
