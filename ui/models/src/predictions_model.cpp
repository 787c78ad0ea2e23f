#include "attnscope/ui/predictions_model.h"

#include "attnscope/ui/item_roles.h"
#include "attnscope/ui/token_text.h"

#include <cmath>

namespace attnscope::ui {

PredictionsModel::PredictionsModel(QObject* parent) : QAbstractTableModel(parent) {}

void PredictionsModel::setSnapshot(PredictionsSnapshot snapshot) {
    beginResetModel();
    m_snapshot = std::move(snapshot);
    endResetModel();
}

QString PredictionsModel::formatProbability(double p) {
    return QString::number(p * 100.0, 'f', 2) + QLatin1Char('%');
}

QString PredictionsModel::formatDelta(double delta) {
    const double pp = delta * 100.0;
    const QString number = QString::number(std::abs(pp), 'f', 2);
    // Rounds to zero: no sign, so that "+0.00" and "-0.00" do not suggest a change.
    if (number == QLatin1String("0.00")) return QStringLiteral("0.00 pp");
    return (pp > 0 ? QLatin1Char('+') : QChar(0x2212)) + number + QStringLiteral(" pp");
}

int PredictionsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_snapshot.rows.size());
}

int PredictionsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PredictionsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto& row = m_snapshot.rows[static_cast<size_t>(index.row())];
    const double delta = row.prob - row.baselineProb;
    switch (role) {
        case Qt::DisplayRole:
            switch (index.column()) {
                case TokenColumn:
                    return displayToken(row.token);
                case ProbColumn:
                    return formatProbability(row.prob);
                case BaselineColumn:
                    return formatProbability(row.baselineProb);
                case DeltaColumn:
                    return formatDelta(delta);
            }
            break;
        case RawValueRole:
            switch (index.column()) {
                case TokenColumn:
                    return row.token;
                case ProbColumn:
                    return row.prob;
                case BaselineColumn:
                    return row.baselineProb;
                case DeltaColumn:
                    return delta;
            }
            break;
        case Qt::ForegroundRole:
            if (index.column() == DeltaColumn && std::abs(delta) > m_threshold)
                return delta > 0 ? increaseColour() : decreaseColour();
            break;
        case Qt::TextAlignmentRole:
            if (index.column() != TokenColumn)
                return static_cast<int>(Qt::AlignRight | Qt::AlignVCenter);
            break;
        case Qt::ToolTipRole:
            return QStringLiteral("token id %1: \"%2\"").arg(row.id).arg(row.token);
    }
    return {};
}

QVariant PredictionsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
    switch (section) {
        case TokenColumn:
            return tr("Token");
        case ProbColumn:
            return tr("Probability");
        case BaselineColumn:
            return tr("Baseline");
        case DeltaColumn:
            return tr("\u0394 vs baseline");
    }
    return {};
}

}  // namespace attnscope::ui
