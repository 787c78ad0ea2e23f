#include "attnscope/ui/csv_export.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/item_roles.h"

#include <gtest/gtest.h>

#include <QBuffer>
#include <QFile>
#include <QStandardItemModel>
#include <QTemporaryDir>

using namespace attnscope::ui;

TEST(CsvExport, RoundTripsAwkwardText) {
    QStandardItemModel model(3, 2);
    model.setHorizontalHeaderLabels({QStringLiteral("token"), QStringLiteral("note, with comma")});
    const QString cells[3][2] = {
        {QStringLiteral("plain"), QStringLiteral("say \"hi\"")},
        {QStringLiteral("line\nbreak"), QStringLiteral("a,b")},
        {QStringLiteral(" leading space"), QString()},
    };
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 2; ++c)
            model.setItem(r, c, new QStandardItem(cells[r][c]));

    QBuffer buffer;
    ASSERT_TRUE(buffer.open(QIODevice::ReadWrite));
    ASSERT_TRUE(writeCsv(model, buffer));
    buffer.seek(0);
    const QList<QStringList> rows = readCsv(buffer);
    ASSERT_EQ(rows.size(), 4);
    EXPECT_EQ(rows[0], (QStringList{QStringLiteral("token"), QStringLiteral("note, with comma")}));
    for (int r = 0; r < 3; ++r)
        EXPECT_EQ(rows[r + 1], (QStringList{cells[r][0], cells[r][1]})) << "row " << r;
}

TEST(CsvExport, FileRoundTripWithRawNumbers) {
    HeadScoresSnapshot s{
        QStringLiteral("sink"), 2, 3, {0.1, 1.0 / 3.0, -2.5, 1e-9, 0.0, 7.0}, {}, {}};
    HeadScoresTableModel model;
    model.setSnapshot(s);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("scores.csv"));
    CsvOptions options;
    options.role = RawValueRole;
    QString error;
    ASSERT_TRUE(exportCsv(model, path, options, &error)) << error.toStdString();
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QList<QStringList> rows = readCsv(file);
    ASSERT_EQ(rows.size(), 1 + 6);
    EXPECT_EQ(rows[0], (QStringList{QStringLiteral("Layer"), QStringLiteral("Head"), s.metric}));
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(rows[i + 1][0].toInt(), i / 3);
        EXPECT_EQ(rows[i + 1][1].toInt(), i % 3);
        EXPECT_EQ(rows[i + 1][2].toDouble(), s.values[static_cast<size_t>(i)]);  // exact
    }
}

TEST(CsvExport, ReportsUnwritablePath) {
    QStandardItemModel model(1, 1);
    QString error;
    EXPECT_FALSE(exportCsv(model, QStringLiteral("/nonexistent-dir/x.csv"), {}, &error));
    EXPECT_FALSE(error.isEmpty());
}
