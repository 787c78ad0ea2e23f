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
