#include "attnscope/ui/token_strip_view.h"

#include "attnscope/ui/token_text.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

namespace attnscope::ui {
namespace {

constexpr int kMargin = 3;  // around the strip
constexpr int kPadX = 3;    // inside a box
constexpr int kPadY = 1;
constexpr int kSpacing = 2;  // between boxes

}  // namespace

TokenStripView::TokenStripView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void TokenStripView::setTokens(TokensSnapshot tokens) {
    m_tokens = std::move(tokens);
    if (m_selected >= static_cast<int>(m_tokens.tokens.size())) m_selected = -1;
    m_hovered = -1;
    relayout();
    updateGeometry();
    update();
}

void TokenStripView::setSelectedToken(int index) {
    m_selected = index >= 0 && index < static_cast<int>(m_tokens.tokens.size()) ? index : -1;
    update();
}

int TokenStripView::boxWidth(const QString& shown) const {
    return fontMetrics().horizontalAdvance(shown) + 2 * kPadX + 2;
}

std::vector<QRect> TokenStripView::layoutFor(int width, int* height) const {
    const QFontMetrics fm = fontMetrics();
    const int boxHeight = fm.height() + 2 * kPadY;
    const int maxBox = std::max(8, width - 2 * kMargin);
    std::vector<QRect> rects;
    rects.reserve(m_tokens.tokens.size());
    int x = kMargin;
    int y = kMargin;
    for (const auto& token : m_tokens.tokens) {
        const int w = std::min(maxBox, boxWidth(displayToken(token.text)));
        if (x > kMargin && x + w > width - kMargin) {
            x = kMargin;
            y += boxHeight + kSpacing;
        }
        rects.emplace_back(x, y, w, boxHeight);
        x += w + kSpacing;
    }
    if (height) *height = (rects.empty() ? y : y + boxHeight) + kMargin;
    return rects;
}

const std::vector<QRect>& TokenStripView::rects() const {
    // Laid out lazily for the current width: a hidden widget gets no resize event.
    if (m_layoutWidth != width()) {
        m_rects = layoutFor(width());
        m_layoutWidth = width();
    }
    return m_rects;
}

void TokenStripView::relayout() {
    m_layoutWidth = -1;
}

int TokenStripView::heightForWidth(int width) const {
    int height = 0;
    layoutFor(width, &height);
    return height;
}

QSize TokenStripView::sizeHint() const {
    const int w = std::max(200, width());
    return {w, heightForWidth(w)};
}

QSize TokenStripView::minimumSizeHint() const {
    return {60, fontMetrics().height() + 2 * (kPadY + kMargin)};
}

QRect TokenStripView::tokenRect(int index) const {
    if (index < 0 || index >= static_cast<int>(rects().size())) return {};
    return rects()[static_cast<size_t>(index)];
}

int TokenStripView::tokenAt(const QPoint& pos) const {
    const std::vector<QRect>& boxes = rects();
    for (size_t i = 0; i < boxes.size(); ++i)
        if (boxes[i].contains(pos)) return static_cast<int>(i);
    return -1;
}

QString TokenStripView::tokenToolTip(int index) const {
    if (index < 0 || index >= static_cast<int>(m_tokens.tokens.size())) return {};
    const auto& t = m_tokens.tokens[static_cast<size_t>(index)];
    QString tip = tr("token %1 \u201c%2\u201d (id %3)\ncharacters [%4, %5)")
                      .arg(index)
                      .arg(displayToken(t.text))
                      .arg(t.id)
                      .arg(t.charBegin)
                      .arg(t.charEnd);
    if (t.unknown)
        tip += tr("\n\u201c%1\u201d is not in the vocabulary: the model sees %2")
                   .arg(t.source.trimmed(), t.text);
    return tip;
}

void TokenStripView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QPalette& pal = palette();
    const std::vector<QRect>& boxes = rects();
    for (size_t i = 0; i < boxes.size(); ++i) {
        const int idx = static_cast<int>(i);
        const QRect& r = boxes[i];
        QColor fill = pal.color(QPalette::AlternateBase);
        if (idx == m_hovered) fill = pal.color(QPalette::Midlight);
        if (idx == m_selected) fill = pal.color(QPalette::Highlight);
        const bool unknown = m_tokens.tokens[i].unknown;
        if (unknown && idx != m_selected) fill = QColor(255, 224, 224);
        p.fillRect(r, fill);
        p.setPen(unknown ? QPen(QColor(200, 0, 0), 2) : QPen(pal.color(QPalette::Mid)));
        p.drawRect(r.adjusted(0, 0, -1, -1));
        p.setPen(pal.color(idx == m_selected ? QPalette::HighlightedText : QPalette::Text));
        // Elide only boxes clamped to the strip's width: elidedText() measures fallback
        // glyphs (the visible-space mark) wider than horizontalAdvance() does.
        QString text = displayToken(m_tokens.tokens[i].text);
        if (boxWidth(text) > r.width())
            text = fontMetrics().elidedText(text, Qt::ElideRight, r.width() - 2 * kPadX);
        p.setClipRect(r);
        p.drawText(r.adjusted(kPadX, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
        p.setClipping(false);
    }
}

void TokenStripView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
    const int index = tokenAt(event->position().toPoint());
    if (index < 0) return;
    setSelectedToken(index);
    Q_EMIT tokenClicked(index);
}

void TokenStripView::mouseMoveEvent(QMouseEvent* event) {
    const int index = tokenAt(event->position().toPoint());
    if (index == m_hovered) return;
    m_hovered = index;
    update();
    Q_EMIT tokenHovered(index);
}

void TokenStripView::leaveEvent(QEvent* event) {
    QWidget::leaveEvent(event);
    if (m_hovered < 0) return;
    m_hovered = -1;
    update();
    Q_EMIT tokenHovered(-1);
}

void TokenStripView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    relayout();
}

bool TokenStripView::event(QEvent* event) {
    const QEvent::Type type = event->type();
    if (type == QEvent::FontChange || type == QEvent::StyleChange || type == QEvent::Polish) {
        // Box widths come from the font, which may change when the widget is polished.
        relayout();
        updateGeometry();
    }
    if (type == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int index = tokenAt(help->pos());
        if (index < 0) {
            QToolTip::hideText();
            event->ignore();
        } else {
            QToolTip::showText(help->globalPos(), tokenToolTip(index), this, tokenRect(index));
        }
        return true;
    }
    return QWidget::event(event);
}

}  // namespace attnscope::ui
