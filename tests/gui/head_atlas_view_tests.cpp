#include "attnscope/ui/colour_gradients.h"
#include "attnscope/ui/head_atlas_view.h"
#include "attnscope/ui/intervention_kinds.h"

#include <gtest/gtest.h>

#include <QMenu>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace attnscope::ui;

namespace {

constexpr int kLayers = 4;
constexpr int kHeads = 6;

HeadScoresSnapshot atlasScores() {
    HeadScoresSnapshot s{QStringLiteral("sink mass"), kLayers, kHeads, {}, {}, {}};
    for (int i = 0; i < kLayers * kHeads; ++i)
        s.values.push_back((i * 7 % 24) / 23.0);
    return s;
}

struct Atlas {
    HeadAtlasView view;
    Atlas() {
        view.setScores(atlasScores());
        view.resize(420, 300);
        view.show();
    }
    // Centre of cell (layer, head) from the grid geometry: heads split the width, layers
    // the height, layer 0 on top.
    QPoint centreOf(int layer, int head) const {
        const QRect g = view.gridRect();
        return QPoint(g.x() + static_cast<int>((head + 0.5) * g.width() / kHeads),
                      g.y() + static_cast<int>((layer + 0.5) * g.height() / kLayers));
    }
};

}  // namespace

TEST(HeadAtlasView, ClickSelectsTheHeadUnderThePointer) {
    Atlas a;
    QSignalSpy clicked(&a.view, &HeadAtlasView::headClicked);
    QSignalSpy toggled(&a.view, &HeadAtlasView::ablationToggled);
    for (auto [l, h] : {std::pair{2, 3}, {0, 0}, {3, 5}}) {
        QTest::mouseClick(&a.view, Qt::LeftButton, {}, a.centreOf(l, h));
        ASSERT_EQ(clicked.count(), 1);
        EXPECT_EQ(clicked[0][0].toInt(), l);
        EXPECT_EQ(clicked[0][1].toInt(), h);
        EXPECT_EQ(a.view.selectedHead(), (HeadRef{l, h}));
        clicked.clear();
    }
    EXPECT_EQ(toggled.count(), 0);
    // Outside the grid: nothing.
    QTest::mouseClick(&a.view, Qt::LeftButton, {}, QPoint(1, 1));
    EXPECT_EQ(clicked.count(), 0);
}

TEST(HeadAtlasView, CtrlClickTogglesAblation) {
    Atlas a;
    QSignalSpy clicked(&a.view, &HeadAtlasView::headClicked);
    QSignalSpy toggled(&a.view, &HeadAtlasView::ablationToggled);
    QTest::mouseClick(&a.view, Qt::LeftButton, Qt::ControlModifier, a.centreOf(1, 4));
    ASSERT_EQ(toggled.count(), 1);
    EXPECT_EQ(toggled[0][0].toInt(), 1);
    EXPECT_EQ(toggled[0][1].toInt(), 4);
    EXPECT_TRUE(a.view.isAblated({1, 4}));
    EXPECT_EQ(clicked.count(), 0);
    EXPECT_FALSE(a.view.selectedHead().isValid());
    ASSERT_EQ(a.view.ablatedHeads().size(), 1u);

    QTest::mouseClick(&a.view, Qt::LeftButton, Qt::ControlModifier, a.centreOf(1, 4));
    EXPECT_EQ(toggled.count(), 2);
    EXPECT_FALSE(a.view.isAblated({1, 4}));
}

TEST(HeadAtlasView, AblationMarksSurviveNewScoresOfTheSameShape) {
    Atlas a;
    a.view.setAblatedHeads({{0, 1}, {3, 5}});
    a.view.setSelectedHead({2, 2});
    a.view.setScores(atlasScores());
    EXPECT_TRUE(a.view.isAblated({0, 1}));
    EXPECT_TRUE(a.view.isAblated({3, 5}));
    // A smaller model keeps only the heads that still exist.
    HeadScoresSnapshot small{QStringLiteral("x"), 2, 2, {0, 1, 2, 3}, {}, {}};
    a.view.setScores(small);
    EXPECT_TRUE(a.view.isAblated({0, 1}));
    EXPECT_EQ(a.view.ablatedHeads().size(), 1u);
    EXPECT_FALSE(a.view.selectedHead().isValid());
}

TEST(HeadAtlasView, ContextMenuRequestsInterventions) {
    Atlas a;
    QSignalSpy requested(&a.view, &HeadAtlasView::interventionRequested);
    const std::unique_ptr<QMenu> menu(a.view.createContextMenu({3, 1}));
    QStringList kinds;
    for (QAction* action : menu->actions())
        kinds << action->data().toString();
    EXPECT_EQ(kinds, (QStringList{kinds::kZeroAblation, kinds::kMeanAblation, kinds::kScale,
                                  kinds::kSinkWindow, kinds::kActCalibration, kinds::kPatch}));
    for (QAction* action : menu->actions()) {
        if (action->data().toString() == kinds::kMeanAblation) action->trigger();
    }
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested[0][0].toString(), kinds::kMeanAblation);
    EXPECT_EQ(requested[0][1].toInt(), 3);
    EXPECT_EQ(requested[0][2].toInt(), 1);
}

TEST(HeadAtlasView, CellsArePaintedWithTheScoreColour) {
    Atlas a;
    const QImage image = a.view.grab().toImage();
    const HeadScoresSnapshot s = atlasScores();
    const auto [lo, hi] = std::minmax_element(s.values.begin(), s.values.end());
    QCPColorGradient gradient = viridisGradient();
    for (int l = 0; l < kLayers; ++l) {
        for (int h = 0; h < kHeads; ++h) {
            const QColor expected = QColor::fromRgb(gradient.color(s.at(l, h), QCPRange(*lo, *hi)));
            const QColor painted = image.pixelColor(a.centreOf(l, h));
            EXPECT_EQ(painted.rgb(), expected.rgb()) << "layer " << l << " head " << h;
        }
    }
}

// Every kind of edit shows on its head: zero ablations as a cross, the others as a badge that
// changes the cell's pixels and names the edit.
TEST(HeadAtlasView, EveryEditKindIsMarked) {
    Atlas a;
    const QImage before = a.view.grab().toImage();
    const std::vector<HeadEditMark> marks = {
        {{0, 0}, kinds::kZeroAblation, 0.0},   {{0, 1}, kinds::kMeanAblation, 0.0},
        {{1, 2}, kinds::kScale, 0.5},          {{2, 3}, kinds::kSinkWindow, 8.0},
        {{3, 4}, kinds::kActCalibration, 0.1}, {{3, 5}, kinds::kPatch, 0.0}};
    a.view.setEditMarks(marks);
    EXPECT_TRUE(a.view.isAblated({0, 0}));
    EXPECT_TRUE(a.view.editBadges({0, 0}).isEmpty());
    EXPECT_EQ(a.view.editBadges({0, 1}), QStringList{QStringLiteral("mean")});
    EXPECT_EQ(a.view.editBadges({1, 2}), QStringList{QStringLiteral("\u00d70.5")});
    EXPECT_EQ(a.view.editBadges({2, 3}), QStringList{QStringLiteral("win 8")});
    EXPECT_EQ(a.view.editBadges({3, 4}), QStringList{QStringLiteral("ACT")});
    EXPECT_EQ(a.view.editBadges({3, 5}), QStringList{QStringLiteral("patch")});
    EXPECT_TRUE(a.view.editBadges({2, 2}).isEmpty());
    const QImage after = a.view.grab().toImage();
    const qreal dpr = after.devicePixelRatio();
    auto cellChanged = [&](HeadRef head) {
        const QRect r = a.view.cellRect(head).toRect().adjusted(2, 2, -2, -2);
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                if (before.pixel(QPoint(x, y) * dpr) != after.pixel(QPoint(x, y) * dpr))
                    return true;
        return false;
    };
    for (const HeadEditMark& m : marks)
        EXPECT_TRUE(cellChanged(m.head)) << m.kind.toStdString();
    EXPECT_FALSE(cellChanged({2, 2}));
    // Clearing the edits clears every mark.
    a.view.setEditMarks({});
    EXPECT_FALSE(a.view.isAblated({0, 0}));
    EXPECT_TRUE(a.view.editBadges({1, 2}).isEmpty());
}
