#include "attnscope/ui/plot_export.h"

#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QFileInfo>
#include <QSvgGenerator>

namespace attnscope::ui {
namespace {

constexpr double kScreenDpi = 96.0;

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

// A title row above the plot for the duration of one export.
class TemporaryTitle {
public:
    TemporaryTitle(QCustomPlot& plot, const QString& title) : m_plot(plot) {
        if (title.isEmpty()) return;
        m_plot.plotLayout()->insertRow(0);
        QFont font = m_plot.font();
        font.setBold(true);
        m_element = new QCPTextElement(&m_plot, title, font);
        m_plot.plotLayout()->addElement(0, 0, m_element);
    }
    ~TemporaryTitle() {
        if (!m_element) return;
        m_plot.plotLayout()->remove(m_element);
        m_plot.plotLayout()->simplify();
        m_plot.replot(QCustomPlot::rpQueuedReplot);
    }
    TemporaryTitle(const TemporaryTitle&) = delete;
    TemporaryTitle& operator=(const TemporaryTitle&) = delete;

private:
    QCustomPlot& m_plot;
    QCPTextElement* m_element = nullptr;
};

}  // namespace

QStringList supportedPlotFormats() {
    return {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")};
}

bool exportPlot(QCustomPlot& plot, const QString& path, const PlotExportOptions& o,
                QString* error) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (o.width < 0 || o.height < 0) return fail(QStringLiteral("negative export size"));
    if (o.dpi < 0 || o.dpi > 2400) return fail(QStringLiteral("dpi out of range (1-2400)"));
    if (!supportedPlotFormats().contains(suffix))
        return fail(QStringLiteral("unknown plot format \"%1\" (use png, pdf or svg)").arg(suffix));
    const TemporaryTitle title(plot, o.title);
    bool ok = false;
    if (suffix == QLatin1String("png")) {
        const double dpi = o.dpi > 0 ? o.dpi : kScreenDpi;
        ok = plot.savePng(path, o.width, o.height, dpi / kScreenDpi, -1, qRound(dpi),
                          QCP::ruDotsPerInch);
    } else if (suffix == QLatin1String("pdf")) {
        ok = plot.savePdf(path, o.width, o.height);
    } else {
        ok = saveSvg(plot, path, o.width, o.height);
    }
    return ok ? true : fail(QStringLiteral("could not write %1").arg(path));
}

bool exportPlot(QCustomPlot& plot, const QString& path, int width, int height, QString* error) {
    PlotExportOptions o;
    o.width = width;
    o.height = height;
    return exportPlot(plot, path, o, error);
}

}  // namespace attnscope::ui
