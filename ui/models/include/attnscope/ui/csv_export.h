#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <Qt>

class QAbstractItemModel;
class QIODevice;

namespace attnscope::ui {

struct CsvOptions {
    /// Role written for each cell; cells without data in this role fall back to
    /// Qt::DisplayRole (use RawValueRole for unformatted numbers).
    int role = Qt::DisplayRole;
    bool header = true;  // first line: the horizontal header's display text
    QChar separator = QLatin1Char(',');
};

/// Writes the top-level rows of any table model as RFC 4180 CSV (fields with the
/// separator, quotes or line breaks are quoted, quotes doubled; lines end in "\n").
bool writeCsv(const QAbstractItemModel& model, QIODevice& out, const CsvOptions& options = {});

/// writeCsv() into the file at `path`; on failure returns false and sets `*error`.
bool exportCsv(const QAbstractItemModel& model, const QString& path, const CsvOptions& options = {},
               QString* error = nullptr);

/// Parses CSV as written by writeCsv() (quoted fields, doubled quotes, embedded breaks).
QList<QStringList> readCsv(QIODevice& in, QChar separator = QLatin1Char(','));

}  // namespace attnscope::ui
