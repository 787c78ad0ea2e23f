#pragma once

#include "attnscope/ui/tokens_snapshot.h"

#include <QWidget>

#include <vector>

namespace attnscope::ui {

/// The prompt's tokens as boxes that wrap like text (whitespace made visible). Hover
/// shows a tooltip with the token's index, id and character span; click selects a
/// token (highlighted; tokenClicked). Words the tokenizer did not know (Token::unknown)
/// are boxed in red and their tooltip names the word. Height follows the width
/// (heightForWidth).
class TokenStripView : public QWidget {
    Q_OBJECT
public:
    explicit TokenStripView(QWidget* parent = nullptr);

    void setTokens(TokensSnapshot tokens);
    const TokensSnapshot& tokens() const { return m_tokens; }

    void setSelectedToken(int index);  // -1 clears
    int selectedToken() const { return m_selected; }

    /// Box of token `index` in widget coordinates (empty when out of range).
    QRect tokenRect(int index) const;
    int tokenAt(const QPoint& pos) const;  // -1 when no box is there
    /// The tooltip text for a token.
    QString tokenToolTip(int index) const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void tokenClicked(int index);
    void tokenHovered(int index);  // -1 when the pointer leaves all boxes

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    bool event(QEvent* event) override;

private:
    /// Lays the boxes out for `width`; returns the boxes (and the total height).
    std::vector<QRect> layoutFor(int width, int* height = nullptr) const;
    const std::vector<QRect>& rects() const;
    int boxWidth(const QString& shown) const;  // natural box width for displayed text
    void relayout();

    TokensSnapshot m_tokens;
    mutable std::vector<QRect> m_rects;  // boxes for m_layoutWidth
    mutable int m_layoutWidth = -1;
    int m_selected = -1;
    int m_hovered = -1;
};

}  // namespace attnscope::ui
