#include "attnscope/ui/csv_export.h"
#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/predictions_model.h"
#include "attnscope/ui/predictions_view.h"

#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QFile>
#include <QTableView>
#include <QTemporaryDir>

#include <cmath>

using namespace attnscope::ui;

namespace {

PredictionsSnapshot sample() {
    PredictionsSnapshot s;
    s.rows = {{464, QStringLiteral(" the"), 0.4375, 0.25},
              {11, QStringLiteral(","), 0.125, 0.3125},
              {13, QStringLiteral("\n"), 0.0625, 0.0625}};
    return s;
}

QString expectedPercent(double p) {
    return QString::asprintf("%.2f%%", p * 100.0);
}

QString expectedDelta(double d) {
    const QString magnitude = QString::asprintf("%.2f pp", std::fabs(d) * 100.0);
    if (magnitude == QLatin1String("0.00 pp")) return magnitude;
    return (d > 0 ? QStringLiteral("+") : QString(QChar(0x2212))) + magnitude;
}

}  // namespace

TEST(PredictionsModel, FormatsProbabilitiesAndDeltas) {
    PredictionsModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    const PredictionsSnapshot s = sample();
    model.setSnapshot(s);
    ASSERT_EQ(model.rowCount(), 3);
    ASSERT_EQ(model.columnCount(), 4);
    for (int r = 0; r < 3; ++r) {
        const auto& row = s.rows[static_cast<size_t>(r)];
        EXPECT_EQ(model.index(r, PredictionsModel::ProbColumn).data().toString(),
                  expectedPercent(row.prob));
        EXPECT_EQ(model.index(r, PredictionsModel::BaselineColumn).data().toString(),
                  expectedPercent(row.baselineProb));
        EXPECT_EQ(model.index(r, PredictionsModel::DeltaColumn).data().toString(),
                  expectedDelta(row.prob - row.baselineProb));
        EXPECT_DOUBLE_EQ(model.index(r, PredictionsModel::ProbColumn).data(RawValueRole).toDouble(),
                         row.prob);
        EXPECT_DOUBLE_EQ(
            model.index(r, PredictionsModel::DeltaColumn).data(RawValueRole).toDouble(),
            row.prob - row.baselineProb);
    }
    EXPECT_EQ(model.index(0, 1).data().toString(), QStringLiteral("43.75%"));
    // Whitespace is made visible in the token column.
    EXPECT_EQ(model.index(0, 0).data().toString(), QString(QChar(0x2423)) + QStringLiteral("the"));
    EXPECT_EQ(model.index(2, 0).data().toString(), QStringLiteral("\\n"));
}

TEST(PredictionsModel, DeltaColourGreenUpRedDownNoneUnchanged) {
    PredictionsModel model;
    QAbstractItemModelTester tester(&model,
                                    QAbstractItemModelTester::FailureReportingMode::Warning);
    model.setSnapshot(sample());
    const auto colourAt = [&](int row) {
        return model.index(row, PredictionsModel::DeltaColumn).data(Qt::ForegroundRole);
    };
    const QColor up = colourAt(0).value<QColor>();
    const QColor down = colourAt(1).value<QColor>();
    EXPECT_GT(up.green(), up.red());
    EXPECT_GT(down.red(), down.green());
    EXPECT_FALSE(colourAt(2).isValid());
    // Only the delta column is coloured.
    EXPECT_FALSE(model.index(0, PredictionsModel::ProbColumn).data(Qt::ForegroundRole).isValid());
}

TEST(PredictionsView, ShowsModelAndExportsRawCsv) {
    PredictionsView view;
    const PredictionsSnapshot s = sample();
    view.setSnapshot(s);
    EXPECT_EQ(view.table()->model(), view.model());
    EXPECT_EQ(view.model()->rowCount(), 3);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("predictions.csv"));
    QString error;
    ASSERT_TRUE(view.exportCsv(path, &error)) << error.toStdString();
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QList<QStringList> rows = readCsv(file);
    ASSERT_EQ(rows.size(), 4);
    EXPECT_EQ(rows[0][0], QStringLiteral("Token"));
    for (int r = 0; r < 3; ++r) {
        const auto& row = s.rows[static_cast<size_t>(r)];
        EXPECT_EQ(rows[r + 1][0], row.token);  // raw text, newline included
        EXPECT_EQ(rows[r + 1][1].toDouble(), row.prob);
        EXPECT_EQ(rows[r + 1][2].toDouble(), row.baselineProb);
        EXPECT_EQ(rows[r + 1][3].toDouble(), row.prob - row.baselineProb);
    }
}
