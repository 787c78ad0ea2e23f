#pragma once

#include "attnscope/ui/predictions_snapshot.h"

#include <QAbstractTableModel>
#include <QColor>

namespace attnscope::ui {

/// Next-token predictions as a table: token, probability, baseline probability and the
/// change against the baseline. Display text is formatted (percent, 2 decimals; the
/// delta in signed percentage points), RawValueRole gives the numbers, and the delta
/// column's Qt::ForegroundRole is green when the probability went up and red when it
/// went down (|delta| above deltaThreshold()). Lives on the GUI thread; reset with
/// setSnapshot() whenever a run finishes.
class PredictionsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TokenColumn = 0, ProbColumn, BaselineColumn, DeltaColumn, ColumnCount };

    explicit PredictionsModel(QObject* parent = nullptr);

    void setSnapshot(PredictionsSnapshot snapshot);
    const PredictionsSnapshot& snapshot() const { return m_snapshot; }

    /// Deltas with |delta| <= threshold get no colour (default 1e-4, i.e. 0.01 pp).
    void setDeltaThreshold(double threshold) { m_threshold = threshold; }
    double deltaThreshold() const { return m_threshold; }

    static QString formatProbability(double p);
    static QString formatDelta(double delta);
    static QColor increaseColour() { return QColor(0x1a, 0x93, 0x3a); }
    static QColor decreaseColour() { return QColor(0xc6, 0x28, 0x28); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    PredictionsSnapshot m_snapshot;
    double m_threshold = 1e-4;
};

}  // namespace attnscope::ui
