#include "attnscope/ui/head_atlas_view.h"

#include "attnscope/ui/colour_gradients.h"
#include "attnscope/ui/intervention_kinds.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace attnscope::ui {
namespace {

constexpr int kPad = 4;
constexpr int kLegendBar = 12;

// Draw every n-th label so that labels of `extent` pixels fit into `available` pixels.
int labelStride(int count, double available, int extent) {
    if (count <= 0 || available <= 0) return 1;
    const double per = available / count;
    return std::max(1, static_cast<int>(std::ceil((extent + 2) / per)));
}

}  // namespace

HeadAtlasView::HeadAtlasView(QWidget* parent) : QWidget(parent), m_gradient(viridisGradient()) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent, false);
}

void HeadAtlasView::setScores(HeadScoresSnapshot scores) {
    if (!scores.isValid())
        scores = HeadScoresSnapshot{scores.metric, 0, 0, {}, scores.description, {}};
    const bool sameShape = scores.layers == m_scores.layers && scores.heads == m_scores.heads;
    const std::vector<HeadRef> marks = ablatedHeads();  // in the old shape
    m_scores = std::move(scores);
    if (!sameShape) {
        // Keep marks of heads that still exist.
        std::vector<bool> ablated(static_cast<size_t>(m_scores.layers) * m_scores.heads, false);
        for (const HeadRef& h : marks)
            if (h.layer < m_scores.layers && h.head < m_scores.heads)
                ablated[static_cast<size_t>(index(h))] = true;
        m_ablated = std::move(ablated);
        m_badges.erase(std::remove_if(m_badges.begin(), m_badges.end(),
                                      [this](const HeadEditMark& m) {
                                          return m.head.layer >= m_scores.layers ||
                                                 m.head.head >= m_scores.heads;
                                      }),
                       m_badges.end());
        if (m_selected.layer >= m_scores.layers || m_selected.head >= m_scores.heads)
            m_selected = HeadRef{};
    }
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (double v : m_scores.values) {
        if (std::isnan(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (!std::isfinite(lo))
        m_range = QCPRange(0, 1);
    else
        m_range = QCPRange(lo, hi > lo ? hi : lo + 1);
    update();
}

void HeadAtlasView::setSelectedHead(HeadRef head) {
    const bool inside = head.isValid() && head.layer < layers() && head.head < heads();
    m_selected = inside ? head : HeadRef{};
    update();
}

void HeadAtlasView::setAblated(HeadRef head, bool ablated) {
    if (!head.isValid() || head.layer >= layers() || head.head >= heads()) return;
    m_ablated[static_cast<size_t>(index(head))] = ablated;
    update();
}

bool HeadAtlasView::isAblated(HeadRef head) const {
    if (!head.isValid() || head.layer >= layers() || head.head >= heads()) return false;
    return m_ablated[static_cast<size_t>(index(head))];
}

void HeadAtlasView::setAblatedHeads(const std::vector<HeadRef>& heads) {
    std::fill(m_ablated.begin(), m_ablated.end(), false);
    for (const HeadRef& h : heads)
        setAblated(h, true);
    update();
}

std::vector<HeadRef> HeadAtlasView::ablatedHeads() const {
    std::vector<HeadRef> out;
    const int heads = m_scores.heads;
    for (size_t i = 0; i < m_ablated.size() && heads > 0; ++i)
        if (m_ablated[i]) out.push_back({static_cast<int>(i) / heads, static_cast<int>(i) % heads});
    return out;
}

void HeadAtlasView::setEditMarks(const std::vector<HeadEditMark>& marks) {
    std::fill(m_ablated.begin(), m_ablated.end(), false);
    m_badges.clear();
    for (const HeadEditMark& m : marks) {
        if (m.kind == kinds::kZeroAblation)
            setAblated(m.head, true);
        else
            m_badges.push_back(m);
    }
    update();
}

QString HeadAtlasView::badgeText(const QString& kind, double param) {
    if (kind == kinds::kMeanAblation) return tr("mean");
    if (kind == kinds::kScale) return QStringLiteral("\u00d7") + QString::number(param, 'g', 3);
    if (kind == kinds::kSinkWindow) return tr("win %1").arg(param, 0, 'g', 6);
    if (kind == kinds::kActCalibration) return tr("ACT");
    if (kind == kinds::kPatch) return tr("patch");
    return kind;
}

QStringList HeadAtlasView::editBadges(HeadRef head) const {
    QStringList out;
    for (const HeadEditMark& m : m_badges)
        if (m.head == head) out << badgeText(m.kind, m.param);
    return out;
}

void HeadAtlasView::paintBadges(QPainter& p) const {
    QFont font = p.font();
    font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
    p.setFont(font);
    const QFontMetrics fm(font);
    for (int l = 0; l < layers(); ++l) {
        for (int h = 0; h < heads(); ++h) {
            const QStringList badges = editBadges({l, h});
            if (badges.isEmpty()) continue;
            const QRectF cell = cellRect({l, h}).adjusted(1, 1, -1, -1);
            const QString text = fm.elidedText(badges.join(QLatin1Char(' ')), Qt::ElideRight,
                                               static_cast<int>(cell.width()) - 4);
            // A dark pill at the bottom of the cell: legible on every viridis colour.
            const double height = std::min<double>(fm.height() + 2, cell.height());
            const QRectF pill(cell.left(), cell.bottom() - height, cell.width(), height);
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(0, 0, 0, 170));
            p.drawRoundedRect(pill, 3, 3);
            p.setPen(Qt::white);
            p.drawText(pill, Qt::AlignCenter, text.isEmpty() ? QStringLiteral("\u2022") : text);
        }
    }
    p.setFont(font);
}

QRect HeadAtlasView::legendRect() const {
    const QFontMetrics fm = fontMetrics();
    const int textWidth = fm.horizontalAdvance(QStringLiteral("-0.0000"));
    const QRect c = contentsRect();
    return QRect(c.right() - textWidth - kLegendBar - 2 * kPad, c.top() + fm.height() + kPad,
                 kLegendBar, c.height() - 2 * (fm.height() + kPad));
}

QRect HeadAtlasView::gridRect() const {
    const QFontMetrics fm = fontMetrics();
    const QRect c = contentsRect();
    const int left = c.left() + fm.horizontalAdvance(QStringLiteral("L000")) + kPad;
    const int top = c.top() + fm.height() + kPad;
    const int right = legendRect().left() - 2 * kPad;
    const int bottom = c.bottom() - fm.height() - kPad;
    return QRect(QPoint(left, top), QPoint(std::max(left, right), std::max(top, bottom)));
}

QRectF HeadAtlasView::cellRect(HeadRef head) const {
    const QRect g = gridRect();
    if (heads() == 0 || layers() == 0) return {};
    const double w = static_cast<double>(g.width()) / heads();
    const double h = static_cast<double>(g.height()) / layers();
    return QRectF(g.x() + head.head * w, g.y() + head.layer * h, w, h);
}

HeadRef HeadAtlasView::headAt(const QPoint& pos) const {
    const QRect g = gridRect();
    if (heads() == 0 || layers() == 0 || g.width() <= 0 || g.height() <= 0) return {};
    const double fx = static_cast<double>(pos.x() - g.x()) * heads() / g.width();
    const double fy = static_cast<double>(pos.y() - g.y()) * layers() / g.height();
    if (fx < 0 || fy < 0) return {};
    const int head = static_cast<int>(fx);
    const int layer = static_cast<int>(fy);
    if (head >= heads() || layer >= layers()) return {};
    return {layer, head};
}

QColor HeadAtlasView::colourOf(double score) const {
    if (std::isnan(score)) return QColor(160, 160, 160);
    return QColor::fromRgb(m_gradient.color(score, m_range));
}

void HeadAtlasView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const QRect grid = gridRect();
    if (layers() == 0 || heads() == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No head scores"));
        return;
    }
    for (int l = 0; l < layers(); ++l)
        for (int h = 0; h < heads(); ++h)
            p.fillRect(cellRect({l, h}), colourOf(m_scores.at(l, h)));
    p.setRenderHint(QPainter::Antialiasing);
    for (const HeadRef& head : ablatedHeads()) {
        const QRectF r = cellRect(head).adjusted(2, 2, -2, -2);
        for (const auto& pen : {QPen(Qt::black, 3.0), QPen(Qt::white, 1.5)}) {
            p.setPen(pen);
            p.drawLine(r.topLeft(), r.bottomRight());
            p.drawLine(r.topRight(), r.bottomLeft());
        }
    }
    p.save();
    paintBadges(p);
    p.restore();
    if (m_selected.isValid()) {
        p.setPen(QPen(QColor(255, 64, 64), 2.5));
        p.setBrush(Qt::NoBrush);
        p.drawRect(cellRect(m_selected).adjusted(1, 1, -1, -1));
    }
    p.setRenderHint(QPainter::Antialiasing, false);
    paintLabels(p, grid);
    paintLegend(p);
}

void HeadAtlasView::paintLabels(QPainter& p, const QRect& grid) const {
    const QFontMetrics fm = fontMetrics();
    p.setPen(palette().color(QPalette::Text));
    const int headStride = labelStride(heads(), grid.width(), fm.horizontalAdvance("00"));
    for (int h = 0; h < heads(); h += headStride) {
        const QRectF c = cellRect({0, h});
        p.drawText(QRectF(c.left(), contentsRect().top(), c.width(), fm.height()), Qt::AlignCenter,
                   QString::number(h));
    }
    const int layerStride = labelStride(layers(), grid.height(), fm.height());
    for (int l = 0; l < layers(); l += layerStride) {
        const QRectF c = cellRect({l, 0});
        p.drawText(QRectF(contentsRect().left(), c.top(), grid.left() - kPad, c.height()),
                   Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("L%1").arg(l));
    }
    const QString caption = m_scores.metric.isEmpty() ? tr("heads") : m_scores.metric;
    p.drawText(QRect(grid.left(), grid.bottom() + kPad, grid.width(), fm.height()), Qt::AlignCenter,
               caption);
}

void HeadAtlasView::paintLegend(QPainter& p) const {
    const QRect bar = legendRect();
    if (bar.height() <= 0) return;
    for (int y = 0; y < bar.height(); ++y) {
        const double t = 1.0 - static_cast<double>(y) / std::max(1, bar.height() - 1);
        const double v = m_range.lower + t * m_range.size();
        p.setPen(colourOf(v));
        p.drawLine(bar.left(), bar.top() + y, bar.right(), bar.top() + y);
    }
    p.setPen(palette().color(QPalette::Text));
    p.drawRect(bar);
    const QFontMetrics fm = fontMetrics();
    const int x = bar.right() + kPad;
    p.drawText(QPoint(x, bar.top() + fm.ascent() / 2), QString::number(m_range.upper, 'g', 3));
    p.drawText(QPoint(x, bar.bottom() + fm.ascent() / 2), QString::number(m_range.lower, 'g', 3));
}

void HeadAtlasView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    const HeadRef head = headAt(event->position().toPoint());
    if (!head.isValid()) return;
    if (event->modifiers() & Qt::ControlModifier) {
        setAblated(head, !isAblated(head));
        Q_EMIT ablationToggled(head.layer, head.head);
    } else {
        setSelectedHead(head);
        Q_EMIT headClicked(head.layer, head.head);
    }
}

QMenu* HeadAtlasView::createContextMenu(HeadRef head, QWidget* parent) {
    auto* menu = new QMenu(parent);
    menu->setTitle(tr("Layer %1, head %2").arg(head.layer).arg(head.head));
    const std::pair<QString, QString> entries[] = {
        {kinds::kZeroAblation, tr("Zero ablation")},
        {kinds::kMeanAblation, tr("Mean ablation")},
        {kinds::kScale, tr("Scale\u2026")},
        {kinds::kSinkWindow, tr("Restrict to sink + window")},
        {kinds::kActCalibration, tr("ACT calibration")},
        {kinds::kPatch, tr("Patch from other prompt")},
    };
    for (const auto& [kind, label] : entries) {
        QAction* action = menu->addAction(label);
        action->setData(kind);
        connect(action, &QAction::triggered, this, [this, kind = kind, head] {
            Q_EMIT interventionRequested(kind, head.layer, head.head);
        });
    }
    return menu;
}

void HeadAtlasView::contextMenuEvent(QContextMenuEvent* event) {
    const HeadRef head = headAt(event->pos());
    if (!head.isValid()) return;
    const std::unique_ptr<QMenu> menu(createContextMenu(head, this));
    menu->exec(event->globalPos());
}

bool HeadAtlasView::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const HeadRef head = headAt(help->pos());
        if (!head.isValid()) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const double v = m_scores.at(head.layer, head.head);
        QString text = tr("Layer %1, head %2\n%3: %4")
                           .arg(head.layer)
                           .arg(head.head)
                           .arg(m_scores.metric.isEmpty() ? tr("score") : m_scores.metric,
                                std::isnan(v) ? tr("n/a") : QString::number(v, 'g', 4));
        if (isAblated(head)) text += tr("\nablated");
        for (const QString& badge : editBadges(head))
            text += QLatin1Char('\n') + badge;
        QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

QSize HeadAtlasView::sizeHint() const {
    return {320, 320};
}
QSize HeadAtlasView::minimumSizeHint() const {
    return {140, 100};
}

}  // namespace attnscope::ui
