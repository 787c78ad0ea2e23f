#include "attnscope/ui/csv_export.h"

#include <QAbstractItemModel>
#include <QFile>
#include <QSaveFile>

namespace attnscope::ui {
namespace {

QString field(const QString& text, QChar sep) {
    const bool quote = text.contains(sep) || text.contains(QLatin1Char('"')) ||
                       text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r'));
    if (!quote) return text;
    QString escaped = text;
    escaped.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

QString cellText(const QAbstractItemModel& model, const QModelIndex& index, int role) {
    QVariant value = model.data(index, role);
    if (!value.isValid()) value = model.data(index, Qt::DisplayRole);
    return value.toString();
}

}  // namespace

bool writeCsv(const QAbstractItemModel& model, QIODevice& out, const CsvOptions& options) {
    const int columns = model.columnCount();
    QStringList fields;
    auto writeLine = [&] {
        const QByteArray line = (fields.join(options.separator) + QLatin1Char('\n')).toUtf8();
        fields.clear();
        return out.write(line) == line.size();
    };
    if (options.header) {
        for (int c = 0; c < columns; ++c)
            fields << field(model.headerData(c, Qt::Horizontal).toString(), options.separator);
        if (!writeLine()) return false;
    }
    for (int r = 0; r < model.rowCount(); ++r) {
        for (int c = 0; c < columns; ++c)
            fields << field(cellText(model, model.index(r, c), options.role), options.separator);
        if (!writeLine()) return false;
    }
    return true;
}

bool exportCsv(const QAbstractItemModel& model, const QString& path, const CsvOptions& options,
               QString* error) {
    QSaveFile file(path);
    const bool ok =
        file.open(QIODevice::WriteOnly) && writeCsv(model, file, options) && file.commit();
    if (!ok && error) *error = file.errorString();
    return ok;
}

QList<QStringList> readCsv(QIODevice& in, QChar separator) {
    const QString text = QString::fromUtf8(in.readAll());
    QList<QStringList> rows;
    QStringList row;
    QString cur;
    bool quoted = false;
    bool rowHasData = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                    cur += c;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
            rowHasData = true;
        } else if (c == separator) {
            row << cur;
            cur.clear();
            rowHasData = true;
        } else if (c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            if (c == QLatin1Char('\r') && i + 1 < text.size() && text[i + 1] == QLatin1Char('\n'))
                ++i;
            if (rowHasData || !cur.isEmpty()) {
                row << cur;
                rows << row;
            }
            row.clear();
            cur.clear();
            rowHasData = false;
        } else {
            cur += c;
            rowHasData = true;
        }
    }
    if (rowHasData || !cur.isEmpty()) {
        row << cur;
        rows << row;
    }
    return rows;
}

}  // namespace attnscope::ui
