#pragma once

#include "attnscope/ui/analysis_request.h"
#include "attnscope/ui/metric_descriptor.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace attnscope::ui {

/// Runs registry metrics: a metric chooser, a parameter form generated from the metric's
/// ParamSpecs (integer: spin box, real: validated line edit, boolean: check box, text: line
/// edit, an enum: combo box; declared bounds limit the fields; [UNVERIFIED] thresholds are
/// marked), an optional dataset file (default: the current
/// prompts), Run/Cancel and a progress bar. The parameter form scrolls, so that a metric
/// with many parameters does not grow the panel. GUI thread only.
class AnalysisPanel : public QWidget {
    Q_OBJECT
public:
    explicit AnalysisPanel(std::vector<MetricDescriptor> metrics, QWidget* parent = nullptr);

    /// Replaces the metrics offered (after plugins were reloaded); keeps the current one when
    /// it is still offered.
    void setMetrics(std::vector<MetricDescriptor> metrics);
    /// The registry names offered, in order.
    QStringList metricNames() const;
    /// Selects a metric by registry name; false when unknown.
    bool setMetric(const QString& name);
    QString metric() const;
    /// The request the form describes; `prompts` is filled in by the receiver when empty.
    AnalysisRequest request() const;
    /// Sets one parameter's field (for tests and sessions); false when unknown.
    bool setParam(const QString& name, const QString& value);
    /// Fills the form from `request` (a restored session's result): its metric, its parameters
    /// over the metric's defaults, its dataset file. False when the metric is unknown here.
    bool setRequest(const AnalysisRequest& request);

    void setRunning(bool running);
    void setProgress(double fraction, const QString& message);
    /// The run ended without a result: the progress bar empties and the label says why
    /// (never a stale "running…" or "49%").
    void setCancelled();
    void setFailed(const QString& message);
    QString statusText() const;
    int progressPercent() const;
    QPushButton* runButton() const { return m_run; }
    QPushButton* cancelButton() const { return m_cancel; }
    QPushButton* saveExperimentButton() const { return m_saveExperiment; }

Q_SIGNALS:
    void runRequested(const attnscope::ui::AnalysisRequest& request);
    void cancelRequested();
    /// "Save as experiment…": the form's setup, to be written as a batch experiment file.
    void saveExperimentRequested(const attnscope::ui::AnalysisRequest& request);

private:
    void rebuildForm();
    QString paramValue(int index) const;

    std::vector<MetricDescriptor> m_metrics;
    QComboBox* m_combo = nullptr;
    QLabel* m_description = nullptr;
    QFormLayout* m_form = nullptr;
    QWidget* m_formHost = nullptr;
    std::vector<QWidget*> m_fields;  // one per parameter of the current metric
    QLineEdit* m_dataset = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_saveExperiment = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
};

}  // namespace attnscope::ui
