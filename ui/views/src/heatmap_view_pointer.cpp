// The pointer on the heatmap: cells under the mouse, the hover readout, clicks that
// highlight a row and a column, and the right-click menu.
#include "attnscope/ui/heatmap_view.h"
#include "attnscope/ui/qcustomplot_wrapper.h"

#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>

#include <cmath>
#include <limits>

namespace attnscope::ui {
namespace {

constexpr int kReadoutChars = 40;

QString formatValue(double v, bool difference) {
    if (std::isnan(v)) return QStringLiteral("n/a");
    const QString s = QString::number(v, 'g', 4);
    return difference && v > 0 ? QLatin1Char('+') + s : s;
}

}  // namespace

bool HeatmapView::cellAt(const QPointF& plotPos, int* query, int* key) const {
    if (m_keys == 0 || m_queries == 0) return false;
    if (!plot()->axisRect()->rect().contains(plotPos.toPoint())) return false;
    const int k = static_cast<int>(std::floor(plot()->xAxis->pixelToCoord(plotPos.x()) + 0.5));
    const int q = static_cast<int>(std::floor(plot()->yAxis->pixelToCoord(plotPos.y()) + 0.5));
    if (k < 0 || k >= m_keys || q < 0 || q >= m_queries) return false;
    if (query) *query = q;
    if (key) *key = k;
    return true;
}

double HeatmapView::valueAt(int query, int key) const {
    if (!m_tile.isValid()) return std::numeric_limits<double>::quiet_NaN();
    const qint64 dq = query - m_tile.rowOffset;
    const qint64 dk = key - m_tile.colOffset;
    const int rowExtent = m_tile.effectiveRowExtent();
    const int colExtent = m_tile.effectiveColExtent();
    if (dq < 0 || dk < 0 || dq >= rowExtent || dk >= colExtent)
        return std::numeric_limits<double>::quiet_NaN();
    // Same binning as makeTile(): source position i lands in bin i * bins / extent.
    const int r = static_cast<int>(dq * m_tile.rows / rowExtent);
    const int c = static_cast<int>(dk * m_tile.cols / colExtent);
    return m_tile.at(r, c);
}

QString HeatmapView::readoutText() const {
    if (m_hoverQuery < 0 || m_hoverKey < 0) return {};
    return tr("query %1 \u2192 key %2: %3 %4")
        .arg(tokenLabel(true, m_hoverQuery, kReadoutChars),
             tokenLabel(false, m_hoverKey, kReadoutChars),
             m_difference ? tr("\u0394") : tr("weight"),
             formatValue(valueAt(m_hoverQuery, m_hoverKey), m_difference));
}

void HeatmapView::onMouseMove(QMouseEvent* event) {
    int q = -1;
    int k = -1;
    if (!cellAt(event->position(), &q, &k)) {
        if (m_hoverQuery >= 0) {
            m_hoverQuery = m_hoverKey = -1;
            m_readout->clear();
            QToolTip::hideText();
        }
        return;
    }
    if (q == m_hoverQuery && k == m_hoverKey) return;
    m_hoverQuery = q;
    m_hoverKey = k;
    m_readout->setText(readoutText());
    if (event->buttons() == Qt::NoButton)
        QToolTip::showText(event->globalPosition().toPoint(), m_readout->text(), plot());
    Q_EMIT cellHovered(q, k, valueAt(q, k));
}

void HeatmapView::onMousePress(QMouseEvent* event) {
    m_pressPos = event->position();
}

void HeatmapView::onMouseRelease(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const QPointF pos = event->position();
    if ((pos - m_pressPos).manhattanLength() > 3) return;  // a drag (pan), not a click
    int q = -1;
    int k = -1;
    if (cellAt(pos, &q, &k)) {
        m_highlightRow = q;
        m_highlightCol = k;
    } else {
        const QRect ar = plot()->axisRect()->rect();
        const int coordQ = static_cast<int>(std::floor(plot()->yAxis->pixelToCoord(pos.y()) + 0.5));
        const int coordK = static_cast<int>(std::floor(plot()->xAxis->pixelToCoord(pos.x()) + 0.5));
        if (pos.x() < ar.left() && pos.y() >= ar.top() && pos.y() <= ar.bottom() && coordQ >= 0 &&
            coordQ < m_queries) {
            q = m_highlightRow = coordQ;
            m_highlightCol = -1;
        } else if (pos.y() > ar.bottom() && pos.x() >= ar.left() && pos.x() <= ar.right() &&
                   coordK >= 0 && coordK < m_keys) {
            k = m_highlightCol = coordK;
            m_highlightRow = -1;
        } else {
            return;
        }
    }
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
    Q_EMIT cellClicked(q, k);
}

void HeatmapView::highlightRow(int query) {
    m_highlightRow = query >= 0 && query < m_queries ? query : -1;
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::highlightColumn(int key) {
    m_highlightCol = key >= 0 && key < m_keys ? key : -1;
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::clearHighlight() {
    m_highlightRow = m_highlightCol = -1;
    updateHighlightItems();
    plot()->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::updateHighlightItems() {
    if (m_highlightRow >= m_queries) m_highlightRow = -1;
    if (m_highlightCol >= m_keys) m_highlightCol = -1;
    // Red reads well on viridis but not on the red-blue difference scale.
    const QPen pen(m_difference ? QColor(20, 20, 20) : QColor(255, 80, 80), 1.5);
    m_rowBand->setPen(pen);
    m_colBand->setPen(pen);
    m_rowBand->setVisible(m_highlightRow >= 0);
    m_colBand->setVisible(m_highlightCol >= 0);
    if (m_highlightRow >= 0) {
        m_rowBand->topLeft->setCoords(-0.5, m_highlightRow - 0.5);
        m_rowBand->bottomRight->setCoords(m_keys - 0.5, m_highlightRow + 0.5);
    }
    if (m_highlightCol >= 0) {
        m_colBand->topLeft->setCoords(m_highlightCol - 0.5, -0.5);
        m_colBand->bottomRight->setCoords(m_highlightCol + 0.5, m_queries - 0.5);
    }
}

void HeatmapView::fillContextMenu(QMenu& menu, const QPoint& pos) {
    menu.addAction(tr("Reset zoom"), this, [this] {
        resetZoom();
        m_tileTimer->start();
        plot()->replot(QCustomPlot::rpQueuedReplot);
    });
    QAction* log = menu.addAction(tr("Log scale"));
    log->setCheckable(true);
    log->setChecked(m_logScale);
    log->setEnabled(!m_difference);
    connect(log, &QAction::toggled, this, &HeatmapView::setLogScale);
    menu.addAction(tr("Clear highlight"), this, &HeatmapView::clearHighlight);
    menu.addSeparator();
    PlotView::fillContextMenu(menu, pos);
}

}  // namespace attnscope::ui
