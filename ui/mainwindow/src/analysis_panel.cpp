#include "attnscope/ui/analysis_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

namespace attnscope::ui {

AnalysisPanel::AnalysisPanel(std::vector<MetricDescriptor> metrics, QWidget* parent)
    : QWidget(parent), m_metrics(std::move(metrics)) {
    auto* layout = new QVBoxLayout(this);
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("analysisMetricCombo"));
    for (const MetricDescriptor& m : m_metrics)
        m_combo->addItem(m.title.isEmpty() ? m.name : m.title, m.name);
    layout->addWidget(m_combo);
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_description);
    // Metrics with many parameters scroll instead of growing the panel (and squeezing the
    // heatmap).
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("analysisParams"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_formHost = new QWidget(scroll);
    m_form = new QFormLayout(m_formHost);
    m_form->setContentsMargins(0, 0, 0, 0);
    scroll->setWidget(m_formHost);
    layout->addWidget(scroll, 1);

    auto* datasetRow = new QHBoxLayout;
    m_dataset = new QLineEdit(this);
    m_dataset->setPlaceholderText(tr("dataset file (.txt/.jsonl); empty: the prompts"));
    auto* browse = new QToolButton(this);
    browse->setText(QStringLiteral("\u2026"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Dataset"), QString(),
                                                       tr("Datasets (*.txt *.jsonl);;All (*)"));
        if (!f.isEmpty()) m_dataset->setText(f);
    });
    datasetRow->addWidget(m_dataset);
    datasetRow->addWidget(browse);
    layout->addLayout(datasetRow);

    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton(tr("Run analysis"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    m_saveExperiment = new QPushButton(tr("Save as experiment\u2026"), this);
    m_saveExperiment->setToolTip(
        tr("Write this setup (model, prompts or dataset, edits, metric) as an experiment file "
           "for attnscope-cli batch"));
    buttons->addWidget(m_saveExperiment);
    layout->addLayout(buttons);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    layout->addWidget(m_progress);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    connect(m_combo, &QComboBox::currentIndexChanged, this, &AnalysisPanel::rebuildForm);
    connect(m_run, &QPushButton::clicked, this, [this] { Q_EMIT runRequested(request()); });
    connect(m_saveExperiment, &QPushButton::clicked, this,
            [this] { Q_EMIT saveExperimentRequested(request()); });
    connect(m_cancel, &QPushButton::clicked, this, &AnalysisPanel::cancelRequested);
    rebuildForm();
}

void AnalysisPanel::setMetrics(std::vector<MetricDescriptor> metrics) {
    const QString current = metric();
    m_metrics = std::move(metrics);
    {
        const QSignalBlocker block(m_combo);
        m_combo->clear();
        for (const MetricDescriptor& m : m_metrics)
            m_combo->addItem(m.title.isEmpty() ? m.name : m.title, m.name);
        const int i = m_combo->findData(current);
        m_combo->setCurrentIndex(i >= 0 ? i : 0);
    }
    rebuildForm();
}

QStringList AnalysisPanel::metricNames() const {
    QStringList out;
    for (const MetricDescriptor& m : m_metrics)
        out << m.name;
    return out;
}

void AnalysisPanel::rebuildForm() {
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_fields.clear();
    const int i = m_combo->currentIndex();
    if (i < 0 || i >= static_cast<int>(m_metrics.size())) return;
    const MetricDescriptor& m = m_metrics[i];
    m_description->setText(m.description +
                           (m.citation.isEmpty() ? QString() : QStringLiteral("\n") + m.citation));
    for (const ParamDescriptor& p : m.params) {
        QWidget* field = nullptr;
        switch (p.type) {
            case ParamDescriptor::Type::Integer: {
                auto* spin = new QSpinBox(m_formHost);
                spin->setRange(
                    p.minimum ? static_cast<int>(*p.minimum) : std::numeric_limits<int>::min(),
                    p.maximum ? static_cast<int>(*p.maximum) : std::numeric_limits<int>::max());
                spin->setValue(p.defaultValue.toInt());
                field = spin;
                break;
            }
            case ParamDescriptor::Type::Boolean: {
                auto* box = new QCheckBox(m_formHost);
                box->setChecked(p.defaultValue == QLatin1String("true") ||
                                p.defaultValue == QLatin1String("1"));
                field = box;
                break;
            }
            case ParamDescriptor::Type::Real:
            case ParamDescriptor::Type::Text: {
                if (!p.choices.isEmpty()) {
                    auto* choice = new QComboBox(m_formHost);
                    choice->addItems(p.choices);
                    choice->setCurrentText(p.defaultValue);
                    field = choice;
                    break;
                }
                auto* edit = new QLineEdit(p.defaultValue, m_formHost);
                if (p.type == ParamDescriptor::Type::Real) {
                    auto* v = new QDoubleValidator(edit);
                    v->setLocale(QLocale::c());
                    if (p.minimum) v->setBottom(*p.minimum);
                    if (p.maximum) v->setTop(*p.maximum);
                    edit->setValidator(v);
                }
                field = edit;
                break;
            }
        }
        field->setObjectName(p.name);
        field->setToolTip(p.help);
        const QString label = p.unverified ? tr("%1 [unverified]").arg(p.name) : p.name;
        m_form->addRow(label, field);
        m_fields.push_back(field);
    }
}

bool AnalysisPanel::setMetric(const QString& name) {
    const int i = m_combo->findData(name);
    if (i < 0) return false;
    m_combo->setCurrentIndex(i);
    return true;
}

QString AnalysisPanel::metric() const {
    return m_combo->currentData().toString();
}

QString AnalysisPanel::paramValue(int index) const {
    QWidget* f = m_fields[index];
    if (auto* spin = qobject_cast<QSpinBox*>(f)) return QString::number(spin->value());
    if (auto* box = qobject_cast<QCheckBox*>(f))
        return box->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
    if (auto* choice = qobject_cast<QComboBox*>(f)) return choice->currentText();
    return static_cast<QLineEdit*>(f)->text();
}

bool AnalysisPanel::setParam(const QString& name, const QString& value) {
    for (QWidget* f : m_fields) {
        if (f->objectName() != name) continue;
        if (auto* spin = qobject_cast<QSpinBox*>(f))
            spin->setValue(value.toInt());
        else if (auto* box = qobject_cast<QCheckBox*>(f))
            box->setChecked(value == QLatin1String("true") || value == QLatin1String("1"));
        else if (auto* choice = qobject_cast<QComboBox*>(f))
            choice->setCurrentText(value);
        else
            static_cast<QLineEdit*>(f)->setText(value);
        return true;
    }
    return false;
}

bool AnalysisPanel::setRequest(const AnalysisRequest& request) {
    if (!setMetric(request.metric)) return false;
    rebuildForm();  // the defaults, also when the metric was already selected
    for (const auto& [name, value] : request.params)
        setParam(name, value);
    m_dataset->setText(request.datasetPath);
    return true;
}

AnalysisRequest AnalysisPanel::request() const {
    AnalysisRequest r;
    r.metric = metric();
    const int i = m_combo->currentIndex();
    if (i >= 0)
        for (size_t p = 0; p < m_fields.size(); ++p)
            r.params[m_metrics[i].params[p].name] = paramValue(static_cast<int>(p));
    r.datasetPath = m_dataset->text().trimmed();
    return r;
}

void AnalysisPanel::setRunning(bool running) {
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    if (running) {
        m_progress->setValue(0);
        m_status->setText(tr("running\u2026"));
    }
}

void AnalysisPanel::setCancelled() {
    setRunning(false);
    m_progress->setValue(0);
    m_status->setText(tr("cancelled"));
}

void AnalysisPanel::setFailed(const QString& message) {
    setRunning(false);
    m_progress->setValue(0);
    m_status->setText(tr("failed: %1").arg(message.section(QLatin1Char('\n'), 0, 0)));
    m_status->setToolTip(message);
}

QString AnalysisPanel::statusText() const {
    return m_status->text();
}

int AnalysisPanel::progressPercent() const {
    return m_progress->value() / 10;
}

void AnalysisPanel::setProgress(double fraction, const QString& message) {
    m_progress->setValue(static_cast<int>(fraction * 1000));
    if (!message.isEmpty()) m_status->setText(message);
}

}  // namespace attnscope::ui
