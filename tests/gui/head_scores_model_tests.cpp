#include "attnscope/ui/head_scores_proxy_model.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/item_roles.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace attnscope::ui;

namespace {

HeadScoresSnapshot scores() {
    HeadScoresSnapshot s;
    s.metric = QStringLiteral("retrieval");
    s.layers = 3;
    s.heads = 4;
    for (int i = 0; i < 12; ++i)
        s.values.push_back(std::fmod(i * 0.37, 1.0) - 0.2);
    s.values[5] = std::numeric_limits<double>::quiet_NaN();
    return s;
}

}  // namespace

TEST(HeadScoresTableModel, OneRowPerHeadWithFormattedAndRawValues) {
    HeadScoresTableModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    const HeadScoresSnapshot s = scores();
    model.setSnapshot(s);
    ASSERT_EQ(model.rowCount(), s.layers * s.heads);
    EXPECT_EQ(model.headerData(2, Qt::Horizontal).toString(), s.metric);
    for (int l = 0; l < s.layers; ++l) {
        for (int h = 0; h < s.heads; ++h) {
            const int row = model.rowOf(l, h);
            EXPECT_EQ(model.index(row, 0).data(RawValueRole).toInt(), l);
            EXPECT_EQ(model.index(row, 1).data(RawValueRole).toInt(), h);
            const double v = s.values[static_cast<size_t>(l * s.heads + h)];
            const QString text = model.index(row, 2).data().toString();
            if (std::isnan(v)) {
                EXPECT_EQ(text, QStringLiteral("n/a"));
            } else {
                EXPECT_EQ(model.index(row, 2).data(RawValueRole).toDouble(), v);
                EXPECT_EQ(text, QString::asprintf("%.4f", v));
            }
        }
    }
    EXPECT_EQ(model.rowOf(3, 0), -1);
}

TEST(HeadScoresProxyModel, SortsNumericallyWithNaNLast) {
    HeadScoresTableModel model;
    HeadScoresProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
    QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::Warning);
    const HeadScoresSnapshot s = scores();
    model.setSnapshot(s);

    std::vector<double> finite;
    for (double v : s.values)
        if (!std::isnan(v)) finite.push_back(v);
    std::vector<double> descending = finite;
    std::sort(descending.begin(), descending.end(), std::greater<>());

    proxy.sort(HeadScoresTableModel::ScoreColumn, Qt::DescendingOrder);
    for (size_t i = 0; i < descending.size(); ++i)
        EXPECT_EQ(proxy.index(static_cast<int>(i), 2).data(RawValueRole).toDouble(), descending[i]);
    const int last = proxy.rowCount() - 1;
    EXPECT_TRUE(std::isnan(proxy.index(last, 2).data(RawValueRole).toDouble()));
    // The NaN head is layer 1, head 1.
    EXPECT_EQ(proxy.index(last, 0).data(RawValueRole).toInt(), 1);
    EXPECT_EQ(proxy.index(last, 1).data(RawValueRole).toInt(), 1);

    proxy.sort(HeadScoresTableModel::ScoreColumn, Qt::AscendingOrder);
    EXPECT_EQ(proxy.index(0, 2).data(RawValueRole).toDouble(),
              *std::min_element(finite.begin(), finite.end()));
    EXPECT_TRUE(std::isnan(proxy.index(last, 2).data(RawValueRole).toDouble()));
}

TEST(HeadScoresProxyModel, FiltersByLayer) {
    HeadScoresTableModel model;
    HeadScoresProxyModel proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    model.setSnapshot(scores());
    proxy.setLayerFilter(2);
    ASSERT_EQ(proxy.rowCount(), 4);
    for (int r = 0; r < proxy.rowCount(); ++r)
        EXPECT_EQ(proxy.index(r, 0).data(RawValueRole).toInt(), 2);
    proxy.setLayerFilter(-1);
    EXPECT_EQ(proxy.rowCount(), 12);
}

TEST(HeadScoresTableModel, InvalidSnapshotGivesEmptyModel) {
    HeadScoresTableModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    HeadScoresSnapshot bad = scores();
    bad.values.pop_back();
    model.setSnapshot(bad);
    EXPECT_EQ(model.rowCount(), 0);
}
