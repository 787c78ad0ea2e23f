#pragma once

#include "attnscope/app/circuit_session.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace attnscope::ui {

/// How to discover a circuit from the window: the method (EAP, EAP-IG, ACDC) with its
/// parameters (EAP-IG's steps m, ACDC's τ), the metric and the ablation, and the prompt pairs
/// (a JSONL file, or one typed clean/corrupted pair with its answer and wrong tokens); Run,
/// Cancel, progress. The same pairs, metric and ablation evaluate the circuit afterwards.
/// GUI thread only.
class CircuitRunForm : public QWidget {
    Q_OBJECT
public:
    explicit CircuitRunForm(QWidget* parent = nullptr);

    /// The request the form describes.
    app::CircuitRequest request() const;
    /// Fills the form (method, parameters, pairs) from a request.
    void setRequest(const app::CircuitRequest& request);
    /// Whether the form names no prompt pairs (neither a file nor a typed clean prompt).
    bool hasNoPairs() const;
    /// Fills the form from how `circuit` was found (method, metric, ablation, steps, τ and
    /// its pairs in parameters["pairs"]: {"file"} or the typed pair), so that a circuit from a
    /// session or a file is evaluated on its own pairs.
    void fillFromCircuit(const analysis::circuits::Circuit& circuit);
    /// Whether the next discovery becomes the comparison circuit B instead of A.
    bool runAsComparison() const;

    void setRunning(bool running);
    void setProgress(double fraction, const QString& message);
    void setStatus(const QString& text);
    QString statusText() const;

    QComboBox* methodCombo() const { return m_method; }
    QSpinBox* stepsBox() const { return m_steps; }
    QDoubleSpinBox* thresholdBox() const { return m_threshold; }
    /// EAP / EAP-IG: score per token position too (CircuitRequest::perPosition).
    QCheckBox* perPositionBox() const { return m_perPosition; }
    QLineEdit* pairsFileEdit() const { return m_pairsFile; }
    QPushButton* runButton() const { return m_run; }
    QPushButton* cancelButton() const { return m_cancel; }

Q_SIGNALS:
    void runRequested(const attnscope::app::CircuitRequest& request, bool asComparison);
    void cancelRequested();

private:
    void updateEnabled();

    QComboBox* m_method = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_threshold = nullptr;
    QCheckBox* m_perPosition = nullptr;
    QComboBox* m_metric = nullptr;
    QComboBox* m_ablation = nullptr;
    QComboBox* m_source = nullptr;
    QStackedWidget* m_sourcePages = nullptr;
    QLineEdit* m_pairsFile = nullptr;
    QLineEdit* m_clean = nullptr;
    QLineEdit* m_corrupted = nullptr;
    QLineEdit* m_answer = nullptr;
    QLineEdit* m_wrong = nullptr;
    QCheckBox* m_asComparison = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
};

}  // namespace attnscope::ui
