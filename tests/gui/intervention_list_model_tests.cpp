#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/intervention_list_model.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QSignalSpy>

using namespace attnscope::ui;

namespace {

InterventionList twoItems() {
    return {{kinds::kZeroAblation, 1, 2, 0.0, true, QStringLiteral("zero L1H2")},
            {kinds::kScale, 3, 0, 0.5, false, QStringLiteral("scale L3H0")}};
}

}  // namespace

TEST(InterventionListModel, SetItemsResetsWithoutChangedSignal) {
    InterventionListModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    QSignalSpy changed(&model, &InterventionListModel::itemsChanged);
    model.setItems(twoItems());
    EXPECT_EQ(changed.count(), 0);
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.index(0, InterventionListModel::KindColumn).data().toString(),
              kinds::kZeroAblation);
    EXPECT_EQ(model.index(1, InterventionListModel::LayerColumn).data().toInt(), 3);
    EXPECT_EQ(model.index(0, 0).data(Qt::CheckStateRole).toInt(), Qt::Checked);
    EXPECT_EQ(model.index(1, 0).data(Qt::CheckStateRole).toInt(), Qt::Unchecked);
    EXPECT_TRUE(model.flags(model.index(0, 0)) & Qt::ItemIsUserCheckable);
    EXPECT_TRUE(model.flags(model.index(0, InterventionListModel::ParamColumn)) &
                Qt::ItemIsEditable);
    EXPECT_FALSE(model.flags(model.index(0, InterventionListModel::LayerColumn)) &
                 Qt::ItemIsEditable);
}

TEST(InterventionListModel, CheckboxAndParamEditsEmitChanged) {
    InterventionListModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    model.setItems(twoItems());
    QSignalSpy changed(&model, &InterventionListModel::itemsChanged);
    QSignalSpy dataChanged(&model, &QAbstractItemModel::dataChanged);

    EXPECT_TRUE(model.setData(model.index(1, 0), Qt::Checked, Qt::CheckStateRole));
    EXPECT_TRUE(model.items()[1].enabled);
    EXPECT_EQ(changed.count(), 1);
    EXPECT_EQ(dataChanged.count(), 1);

    const QModelIndex param = model.index(1, InterventionListModel::ParamColumn);
    EXPECT_TRUE(model.setData(param, QStringLiteral("0.25")));
    EXPECT_DOUBLE_EQ(model.items()[1].param, 0.25);
    EXPECT_EQ(changed.count(), 2);
    EXPECT_FALSE(model.setData(param, QStringLiteral("not a number")));
    EXPECT_DOUBLE_EQ(model.items()[1].param, 0.25);
    EXPECT_EQ(changed.count(), 2);
    // Setting the same value is accepted but is no change.
    EXPECT_TRUE(model.setData(param, 0.25));
    EXPECT_EQ(changed.count(), 2);
    // Read-only columns refuse edits.
    EXPECT_FALSE(model.setData(model.index(1, InterventionListModel::LayerColumn), 7));
    EXPECT_EQ(model.items()[1].layer, 3);
}

TEST(InterventionListModel, AddRemoveAndFind) {
    InterventionListModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    model.setItems(twoItems());
    QSignalSpy changed(&model, &InterventionListModel::itemsChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    const InterventionItem extra{kinds::kMeanAblation, 0, 5, 0.0, true, QString()};
    EXPECT_EQ(model.addItem(extra), 2);
    EXPECT_EQ(inserted.count(), 1);
    EXPECT_EQ(model.items().back(), extra);
    EXPECT_EQ(model.findItem(kinds::kMeanAblation, 0, 5), 2);
    EXPECT_EQ(model.findItem(kinds::kMeanAblation, 0, 4), -1);

    EXPECT_TRUE(model.removeRows(0, 1));
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.items()[0].kind, kinds::kScale);
    EXPECT_FALSE(model.removeRows(1, 5));
    EXPECT_EQ(changed.count(), 2);

    model.clear();
    EXPECT_EQ(model.rowCount(), 0);
    EXPECT_EQ(changed.count(), 3);
}
