#include "attnscope/ui/circuit_run_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace attnscope::ui {
namespace {

enum SourcePage { PairsFile = 0, TypedPair = 1 };

void selectData(QComboBox* combo, const QString& data) {
    const int i = combo->findData(data);
    if (i >= 0) combo->setCurrentIndex(i);
}

}  // namespace

CircuitRunForm::CircuitRunForm(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_method = new QComboBox(this);
    m_method->addItem(tr("EAP-IG (integrated gradients)"), QStringLiteral("eap-ig"));
    m_method->addItem(tr("EAP (attribution patching)"), QStringLiteral("eap"));
    m_method->addItem(tr("ACDC (exact pruning)"), QStringLiteral("acdc"));
    m_method->addItem(tr("Exact edge patching (a forward per edge)"), QStringLiteral("exact"));
    auto* params = new QHBoxLayout;
    m_steps = new QSpinBox(this);
    m_steps->setRange(1, 100);
    m_steps->setValue(5);
    m_steps->setPrefix(tr("steps m = "));
    m_threshold = new QDoubleSpinBox(this);
    m_threshold->setDecimals(5);
    m_threshold->setRange(0.00001, 100.0);
    m_threshold->setSingleStep(0.005);
    m_threshold->setValue(0.01);
    m_threshold->setPrefix(tr("\u03c4 = "));
    m_perPosition = new QCheckBox(tr("per position"), this);
    m_perPosition->setObjectName(QStringLiteral("circuitPerPosition"));
    m_perPosition->setToolTip(
        tr("EAP and EAP-IG: also score every edge at every token position (the pairs must "
           "have one token length), for the graph's \"positions as columns\" mode"));
    params->addWidget(m_method, 1);
    params->addWidget(m_steps);
    params->addWidget(m_threshold);
    params->addWidget(m_perPosition);
    form->addRow(tr("Method"), params);

    auto* measure = new QHBoxLayout;
    m_metric = new QComboBox(this);
    m_metric->addItem(tr("logit difference"), QStringLiteral("logit-diff"));
    m_metric->addItem(tr("KL to the clean run"), QStringLiteral("kl"));
    m_ablation = new QComboBox(this);
    m_ablation->addItem(tr("resample (corrupted run)"), QStringLiteral("resample"));
    m_ablation->addItem(tr("zero"), QStringLiteral("zero"));
    m_ablation->addItem(tr("mean"), QStringLiteral("mean"));
    measure->addWidget(m_metric, 1);
    measure->addWidget(m_ablation, 1);
    form->addRow(tr("Metric, ablation"), measure);

    m_source = new QComboBox(this);
    m_source->addItem(tr("Prompt pairs file (JSONL)"));
    m_source->addItem(tr("Typed clean / corrupted pair"));
    form->addRow(tr("Pairs"), m_source);
    m_sourcePages = new QStackedWidget(this);
    auto* filePage = new QWidget(m_sourcePages);
    auto* fileRow = new QHBoxLayout(filePage);
    fileRow->setContentsMargins(0, 0, 0, 0);
    m_pairsFile = new QLineEdit(filePage);
    m_pairsFile->setPlaceholderText(
        tr("pairs.jsonl: {\"clean\", \"corrupted\", \"answer\", \"wrong\"} per line"));
    auto* browse = new QToolButton(filePage);
    browse->setText(QStringLiteral("\u2026"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Prompt pairs"), QString(),
                                                       tr("Prompt pairs (*.jsonl);;All (*)"));
        if (!f.isEmpty()) m_pairsFile->setText(f);
    });
    fileRow->addWidget(m_pairsFile, 1);
    fileRow->addWidget(browse);
    m_sourcePages->addWidget(filePage);
    auto* typedPage = new QWidget(m_sourcePages);
    auto* typed = new QFormLayout(typedPage);
    typed->setContentsMargins(0, 0, 0, 0);
    m_clean = new QLineEdit(typedPage);
    m_corrupted = new QLineEdit(typedPage);
    m_corrupted->setPlaceholderText(tr("as many tokens as the clean prompt"));
    auto* answers = new QHBoxLayout;
    m_answer = new QLineEdit(typedPage);
    m_answer->setPlaceholderText(tr("answer token"));
    m_wrong = new QLineEdit(typedPage);
    m_wrong->setPlaceholderText(tr("wrong token"));
    answers->addWidget(m_answer);
    answers->addWidget(m_wrong);
    typed->addRow(tr("Clean"), m_clean);
    typed->addRow(tr("Corrupted"), m_corrupted);
    typed->addRow(tr("Answer, wrong"), answers);
    m_sourcePages->addWidget(typedPage);
    form->addRow(m_sourcePages);
    layout->addLayout(form);

    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton(tr("Find circuit"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_asComparison = new QCheckBox(tr("as circuit B (compare)"), this);
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_asComparison);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setMaximumHeight(14);
    layout->addWidget(m_progress);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    // The stack is as tall as its current page (a file row, or the three rows of a pair).
    const auto showPage = [this](int index) {
        for (int i = 0; i < m_sourcePages->count(); ++i)
            m_sourcePages->widget(i)->setSizePolicy(
                QSizePolicy::Preferred, i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
        m_sourcePages->setCurrentIndex(index);
        m_sourcePages->adjustSize();
    };
    connect(m_source, &QComboBox::currentIndexChanged, this, showPage);
    showPage(PairsFile);
    connect(m_method, &QComboBox::currentIndexChanged, this, &CircuitRunForm::updateEnabled);
    connect(m_run, &QPushButton::clicked, this,
            [this] { Q_EMIT runRequested(request(), runAsComparison()); });
    connect(m_cancel, &QPushButton::clicked, this, &CircuitRunForm::cancelRequested);
    updateEnabled();
}

void CircuitRunForm::updateEnabled() {
    const QString method = m_method->currentData().toString();
    m_steps->setEnabled(method == QLatin1String("eap-ig"));
    m_threshold->setEnabled(method == QLatin1String("acdc"));
    m_perPosition->setEnabled(method == QLatin1String("eap") || method == QLatin1String("eap-ig"));
}

app::CircuitRequest CircuitRunForm::request() const {
    app::CircuitRequest r;
    r.method = m_method->currentData().toString().toStdString();
    r.steps = m_steps->value();
    r.threshold = m_threshold->value();
    r.metric = m_metric->currentData().toString().toStdString();
    r.ablation = m_ablation->currentData().toString().toStdString();
    r.perPosition = m_perPosition->isEnabled() && m_perPosition->isChecked();
    if (m_source->currentIndex() == PairsFile) {
        r.pairs.pairsPath = m_pairsFile->text().trimmed().toStdString();
    } else {
        r.pairs.clean = m_clean->text().toStdString();
        r.pairs.corrupted = m_corrupted->text().toStdString();
        r.pairs.answer = m_answer->text().trimmed().toStdString();
        r.pairs.wrong = m_wrong->text().trimmed().toStdString();
    }
    return r;
}

void CircuitRunForm::setRequest(const app::CircuitRequest& r) {
    selectData(m_method, QString::fromStdString(r.method));
    m_steps->setValue(r.steps);
    m_threshold->setValue(r.threshold);
    m_perPosition->setChecked(r.perPosition);
    selectData(m_metric, QString::fromStdString(r.metric));
    selectData(m_ablation, QString::fromStdString(r.ablation));
    const bool file = !r.pairs.pairsPath.empty();
    m_source->setCurrentIndex(file ? PairsFile : TypedPair);
    m_pairsFile->setText(QString::fromStdString(r.pairs.pairsPath));
    m_clean->setText(QString::fromStdString(r.pairs.clean));
    m_corrupted->setText(QString::fromStdString(r.pairs.corrupted));
    m_answer->setText(QString::fromStdString(r.pairs.answer));
    m_wrong->setText(QString::fromStdString(r.pairs.wrong));
}

bool CircuitRunForm::hasNoPairs() const {
    return m_pairsFile->text().trimmed().isEmpty() && m_clean->text().trimmed().isEmpty();
}

void CircuitRunForm::fillFromCircuit(const analysis::circuits::Circuit& c) {
    app::CircuitRequest r = request();
    if (!c.method.empty() && m_method->findData(QString::fromStdString(c.method)) >= 0)
        r.method = c.method;
    if (!c.metric.empty()) r.metric = c.metric;
    if (!c.ablation.empty()) r.ablation = c.ablation;
    const nlohmann::json& p = c.parameters;
    // Values of the wrong type (a hand-edited file) leave the form's own.
    const auto text = [](const nlohmann::json& o, const char* key) {
        return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>()
                                                                      : std::string();
    };
    if (p.contains("steps") && p["steps"].is_number_integer()) r.steps = p["steps"].get<int>();
    if (p.contains("threshold") && p["threshold"].is_number())
        r.threshold = p["threshold"].get<double>();
    r.perPosition = c.hasPositionScores();
    if (p.contains("pairs")) {
        const nlohmann::json& pairs = p["pairs"];
        r.pairs = {};
        r.pairs.pairsPath = text(pairs, "file");
        r.pairs.clean = text(pairs, "clean");
        r.pairs.corrupted = text(pairs, "corrupted");
        r.pairs.answer = text(pairs, "answer");
        r.pairs.wrong = text(pairs, "wrong");
        r.pairs.promptsAreIds =
            pairs.is_object() && pairs.contains("ids") && pairs["ids"].is_boolean() && pairs["ids"];
    }
    setRequest(r);
}

bool CircuitRunForm::runAsComparison() const {
    return m_asComparison->isChecked();
}

void CircuitRunForm::setRunning(bool running) {
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    if (running) {
        m_progress->setValue(0);
        m_status->setText(tr("Finding the circuit\u2026"));
    }
}

void CircuitRunForm::setProgress(double fraction, const QString& message) {
    m_progress->setValue(static_cast<int>(fraction * 1000));
    if (!message.isEmpty()) m_status->setText(message);
}

void CircuitRunForm::setStatus(const QString& text) {
    m_status->setText(text);
}

QString CircuitRunForm::statusText() const {
    return m_status->text();
}

}  // namespace attnscope::ui
