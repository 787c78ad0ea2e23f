#include "attnscope/ui/token_strip_view.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

using namespace attnscope::ui;

namespace {

TokensSnapshot prompt() {
    // "The cat sat on the mat.\n" tokenised GPT-2 style.
    const QString text = QStringLiteral("The cat sat on the mat.\n");
    const QStringList pieces = {"The", " cat", " sat", " on", " the", " mat", ".", "\n"};
    TokensSnapshot s;
    int at = 0;
    for (const QString& piece : pieces) {
        s.tokens.push_back({1000 + at, piece, at, at + static_cast<int>(piece.size())});
        at += static_cast<int>(piece.size());
    }
    EXPECT_EQ(at, text.size());
    return s;
}

}  // namespace

TEST(TokenStripView, ClickSelectsTokenAndTooltipShowsSpan) {
    TokenStripView view;
    const TokensSnapshot s = prompt();
    view.setTokens(s);
    view.resize(400, view.heightForWidth(400));
    view.show();
    QSignalSpy clicked(&view, &TokenStripView::tokenClicked);
    for (int i : {0, 4, 7}) {
        const QRect box = view.tokenRect(i);
        ASSERT_FALSE(box.isEmpty());
        QTest::mouseClick(&view, Qt::LeftButton, {}, box.center());
        ASSERT_EQ(clicked.count(), 1);
        EXPECT_EQ(clicked[0][0].toInt(), i);
        EXPECT_EQ(view.selectedToken(), i);
        clicked.clear();
    }
    const auto& t = s.tokens[4];
    const QString tip = view.tokenToolTip(4);
    EXPECT_TRUE(tip.contains(QStringLiteral("[%1, %2)").arg(t.charBegin).arg(t.charEnd)))
        << tip.toStdString();
    EXPECT_TRUE(tip.contains(QString::number(t.id)));
}

TEST(TokenStripView, BoxesWrapAndDoNotOverlap) {
    TokenStripView view;
    TokensSnapshot s;
    for (int i = 0; i < 60; ++i)
        s.tokens.push_back({i, QStringLiteral(" word%1").arg(i), i, i + 1});
    view.setTokens(s);
    view.resize(200, view.heightForWidth(200));
    int rows = 1;
    for (int i = 0; i < 60; ++i) {
        const QRect r = view.tokenRect(i);
        EXPECT_LE(r.right(), view.width()) << i;
        if (i > 0) {
            EXPECT_FALSE(r.intersects(view.tokenRect(i - 1))) << i;
            if (r.top() > view.tokenRect(i - 1).top()) ++rows;
        }
        EXPECT_EQ(view.tokenAt(r.center()), i);
    }
    EXPECT_GT(rows, 1);
    EXPECT_GE(view.height(), view.tokenRect(59).bottom());
}

// A word the tokenizer did not know is boxed in red, and its tooltip names it.
TEST(TokenStripView, UnknownWordsAreMarked) {
    TokenStripView view;
    TokensSnapshot s = prompt();
    s.tokens[2].text = QStringLiteral("<unk>");
    s.tokens[2].source = QStringLiteral(" sat");
    s.tokens[2].unknown = true;
    view.setTokens(s);
    view.resize(400, view.heightForWidth(400));
    view.show();
    const QString tip = view.tokenToolTip(2);
    EXPECT_TRUE(tip.contains(QStringLiteral("\u201csat\u201d is not in the vocabulary")))
        << tip.toStdString();
    EXPECT_FALSE(view.tokenToolTip(1).contains(QStringLiteral("vocabulary")));
    const QImage image = view.grab().toImage();
    auto border = [&](int index) {
        const QRect box = view.tokenRect(index);
        return image.pixelColor(QPoint(box.left(), box.center().y()) * image.devicePixelRatio());
    };
    const QColor unknown = border(2);
    EXPECT_GT(unknown.red(), 150);
    EXPECT_LT(unknown.green(), 60);
    EXPECT_NE(border(1), unknown);
}
