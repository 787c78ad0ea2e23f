// The positions-as-columns mode of the circuit graph: state, painting and the pointer.
#include "attnscope/ui/circuit_positions_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "circuit_colours.h"

namespace attnscope::ui {
namespace {

constexpr double kPositionsFitMargin = 16.0;
constexpr double kPositionsDragThreshold = 4.0;

}  // namespace

CircuitPositionsView::CircuitPositionsView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void CircuitPositionsView::setRanking(std::shared_ptr<const CircuitRanking> cells,
                                      const QStringList& tokens) {
    m_ranking = std::move(cells);
    m_kept.clear();
    m_tokens.clear();
    if (m_ranking) {
        const auto& c = *m_ranking->circuit;
        m_layout = CircuitPositionLayout(c.graph, c.positions);
        for (int64_t p = 0; p < c.positions; ++p)
            m_tokens.push_back(tokens.size() == c.positions ? tokens[static_cast<int>(p)]
                                                            : QString::number(p));
        m_kept.assign(static_cast<size_t>(m_ranking->edgeCount()), 0);
        m_userMoved = false;
        fitToView();
    }
    collectDrawn();
}

void CircuitPositionsView::setKeptCells(std::vector<uint8_t> kept) {
    m_kept = std::move(kept);
    collectDrawn();
}

void CircuitPositionsView::setEdgeBudget(int budget) {
    m_budget = std::max(0, budget);
    collectDrawn();
}

// The best-ranked kept cells up to the budget, and the pick grid over them.
void CircuitPositionsView::collectDrawn() {
    m_drawn.clear();
    m_index.reset();
    if (m_ranking) {
        for (int64_t cell : m_ranking->order) {
            if (m_drawn.size() >= static_cast<size_t>(m_budget)) break;
            if (static_cast<size_t>(cell) < m_kept.size() && m_kept[static_cast<size_t>(cell)])
                m_drawn.push_back(cell);
        }
        m_index = std::make_unique<SegmentGrid>(m_layout.bounds().adjusted(-1, -1, 1, 1),
                                                CircuitPositionLayout::kColumn);
        for (int64_t cell : m_drawn)
            m_index->insert(cell, QLineF(m_layout.cellStart(cell), m_layout.cellEnd(cell)));
    }
    update();
}

void CircuitPositionsView::fitToView() {
    const QRectF b = m_layout.bounds();
    if (!m_ranking || b.isEmpty() || width() <= 0 || height() <= 0) return;
    m_userMoved = false;
    m_scale = std::max(1e-4, std::min((width() - 2 * kPositionsFitMargin) / b.width(),
                                      (height() - 2 * kPositionsFitMargin) / b.height()));
    m_offset = QPointF(width() * 0.5, height() * 0.5) - b.center() * m_scale;
    update();
}

void CircuitPositionsView::zoomBy(double factor, const QPointF& anchor) {
    const QPointF g = toGraph(anchor);
    m_scale = std::clamp(m_scale * factor, 1e-4, 100.0);
    m_offset = anchor - g * m_scale;
    m_userMoved = true;
    update();
}

int64_t CircuitPositionsView::cellAtScreen(const QPointF& pos) const {
    if (!m_index) return -1;
    return m_index->nearest(toGraph(pos), kPickRadius / m_scale);
}

QPointF CircuitPositionsView::cellMidpoint(int64_t cell) const {
    return toScreen((m_layout.cellStart(cell) + m_layout.cellEnd(cell)) * 0.5);
}

QString CircuitPositionsView::describeCell(int64_t cell) const {
    if (!m_ranking || cell < 0 || cell >= m_ranking->edgeCount()) return {};
    const auto& c = *m_ranking->circuit;
    const int64_t position = m_layout.cellPosition(cell);
    return tr("%1 at position %2 (%3)\nscore %4, rank %5 of %6 (edge, position) pairs")
        .arg(QString::fromStdString(c.graph.edgeName(m_layout.cellEdge(cell))))
        .arg(position)
        .arg(m_tokens.value(static_cast<int>(position)))
        .arg(QString::number(double(c.scores[static_cast<size_t>(cell)]), 'g', 7))
        .arg(m_ranking->rank[static_cast<size_t>(cell)] + 1)
        .arg(m_ranking->edgeCount());
}

QString CircuitPositionsView::legendText() const {
    if (!m_ranking) return {};
    return tr("%1 per position, ranked by %2 \u2014 colour: sign (red +, blue \u2212); width "
              "\u221d \u221a(|score| / max |score|), max |score| = %3")
        .arg(QString::fromStdString(m_ranking->circuit->method),
             m_ranking->absolute ? tr("|score|") : tr("signed score"),
             QString::number(m_ranking->maxAbsScore, 'g', 4));
}

void CircuitPositionsView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (!m_ranking) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No per-position scores."));
        return;
    }
    paintColumns(p);
    paintCells(p);
    paintLegend(p);
}

// Column bands with their tokens, and every column's nodes.
void CircuitPositionsView::paintColumns(QPainter& p) const {
    const auto& g = m_layout.graph();
    const QRectF view(toGraph(QPointF(0, 0)), toGraph(QPointF(width(), height())));
    const bool labels = CircuitPositionLayout::kHeadWidth * m_scale >= 26;
    QFont font = p.font();
    font.setPointSizeF(std::clamp(8.0 * std::min(m_scale, 1.5), 5.0, 10.0));
    p.setFont(font);
    QFont tokenFont = font;
    tokenFont.setPointSizeF(8);
    for (int64_t pos = 0; pos < m_layout.positions(); ++pos) {
        const QRectF column = m_layout.columnRect(pos);
        if (!column.intersects(view)) continue;
        p.setPen(Qt::NoPen);
        p.setBrush(pos % 2 ? QColor(246, 246, 246) : QColor(252, 252, 252));
        p.drawRect(QRectF(toScreen(column.topLeft()), toScreen(column.bottomRight())));
        // The token under its column, legible at any zoom.
        const QRectF token = m_layout.tokenRect(pos);
        const QPointF under = toScreen(QPointF(token.center().x(), token.top()));
        p.setFont(tokenFont);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(
            QRectF(under.x() - 60, under.y(), 120, 2.4 * QFontMetricsF(tokenFont).height()),
            Qt::AlignHCenter | Qt::AlignTop,
            m_tokens.value(static_cast<int>(pos)) + QStringLiteral("\n") + QString::number(pos));
        p.setFont(font);
        for (int node = 0; node < static_cast<int>(g.nodes().size()); ++node) {
            if (!m_layout.hasNode(node, pos)) continue;
            const QRectF r = m_layout.nodeRect(node, pos);
            const QRectF box(toScreen(r.topLeft()), toScreen(r.bottomRight()));
            p.setPen(QPen(QColor(120, 120, 120), 1));
            p.setBrush(g.nodes()[static_cast<size_t>(node)].kind ==
                               analysis::circuits::NodeKind::Mlp
                           ? QColor(225, 232, 240)
                           : QColor(238, 238, 238));
            p.drawRoundedRect(box, 2, 2);
            if (labels) {
                p.setPen(palette().color(QPalette::Text));
                p.drawText(box, Qt::AlignCenter, QString::fromStdString(g.nodeName(node)));
            }
        }
    }
}

void CircuitPositionsView::paintCells(QPainter& p) const {
    const auto& scores = m_ranking->circuit->scores;
    const double maxAbs = m_ranking->maxAbsScore > 0 ? m_ranking->maxAbsScore : 1.0;
    p.setRenderHint(QPainter::Antialiasing, m_drawn.size() <= 800);
    // Worst first, so that the strongest cells lie on top.
    for (auto it = m_drawn.rbegin(); it != m_drawn.rend(); ++it) {
        const float s = scores[static_cast<size_t>(*it)];
        const double share = std::isnan(s) ? 0.0 : std::sqrt(std::abs(double(s)) / maxAbs);
        QPen pen(s < 0 ? circuit_colours::kNegative : circuit_colours::kPositive,
                 0.6 + 5.4 * share);
        pen.setCapStyle(Qt::RoundCap);
        p.setPen(pen);
        p.drawLine(toScreen(m_layout.cellStart(*it)), toScreen(m_layout.cellEnd(*it)));
    }
}

void CircuitPositionsView::paintLegend(QPainter& p) const {
    QFont font = this->font();
    font.setPointSizeF(8);
    p.setFont(font);
    const QFontMetricsF fm(font);
    const QString note = legendText();
    const QString counts = tr("%1 of %2 (edge, position) pairs kept; %3 drawn; %4 positions")
                               .arg(std::count(m_kept.begin(), m_kept.end(), 1))
                               .arg(m_kept.size())
                               .arg(m_drawn.size())
                               .arg(m_layout.positions());
    const QRectF box(6, 6, std::max(fm.horizontalAdvance(note), fm.horizontalAdvance(counts)) + 12,
                     2 * fm.height() + 10);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setPen(QColor(200, 200, 200));
    p.setBrush(QColor(255, 255, 255, 225));
    p.drawRect(box);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QPointF(box.left() + 6, box.top() + 5 + fm.ascent()), note);
    p.drawText(QPointF(box.left() + 6, box.top() + 5 + fm.height() + fm.ascent()), counts);
}

void CircuitPositionsView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // A page of a stacked widget gets its size when first shown: fit again unless the user
    // zoomed or panned.
    if (!m_userMoved) fitToView();
}

void CircuitPositionsView::wheelEvent(QWheelEvent* event) {
    zoomBy(std::pow(1.2, event->angleDelta().y() / 120.0), event->position());
    event->accept();
}

void CircuitPositionsView::mousePressEvent(QMouseEvent* event) {
    m_pressPos = event->position();
}

void CircuitPositionsView::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) {
        const QPointF delta = event->position() - m_pressPos;
        if (std::hypot(delta.x(), delta.y()) > kPositionsDragThreshold) {
            m_offset += delta;
            m_pressPos = event->position();
            m_userMoved = true;
            update();
        }
        return;
    }
    const QString tip = describeCell(cellAtScreen(event->position()));
    if (tip.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), tip, this);
}

void CircuitPositionsView::mouseDoubleClickEvent(QMouseEvent*) {
    fitToView();
}

}  // namespace attnscope::ui
