#include "attnscope/ui/batch_results_window.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

#include "attnscope/ui/head_atlas_view.h"

namespace attnscope::ui {
namespace {

QString tableText(const app::ResultTable& t) {
    QString out = QStringLiteral("%1 (%2, %3 x %4)\n")
                      .arg(QString::fromStdString(t.analysis), QString::fromStdString(t.shape))
                      .arg(t.rows)
                      .arg(t.cols);
    for (int c = 0; c < t.cols; ++c)
        out += QLatin1Char('\t') +
               (t.columns.empty() ? QStringLiteral("h%1").arg(c)
                                  : QString::fromStdString(t.columns[static_cast<size_t>(c)]));
    out += QLatin1Char('\n');
    for (int r = 0; r < t.rows; ++r) {
        out += QString::number(r);
        for (int c = 0; c < t.cols; ++c) {
            const float v = t.values[static_cast<size_t>(r * t.cols + c)];
            out += QLatin1Char('\t') +
                   (std::isnan(v) ? QStringLiteral("-") : QString::number(v, 'f', 4));
        }
        out += QLatin1Char('\n');
    }
    return out;
}

}  // namespace

BatchResultsWindow::BatchResultsWindow(QWidget* parent) : QWidget(parent, Qt::Window) {
    setWindowTitle(tr("Batch results"));
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_aggregate = new QComboBox(this);
    layout->addWidget(m_aggregate);
    auto* split = new QSplitter(Qt::Horizontal, this);
    m_atlas = new HeadAtlasView(split);
    auto* right = new QSplitter(Qt::Vertical, split);
    m_items = new QTableWidget(right);
    m_items->setColumnCount(7);
    m_items->setHorizontalHeaderLabels({tr("item"), tr("dataset"), tr("entry"), tr("edits"),
                                        tr("status"), tr("prompt"), tr("error")});
    m_items->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_items->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_items->setSelectionMode(QAbstractItemView::SingleSelection);
    m_items->horizontalHeader()->setStretchLastSection(true);
    m_details = new QPlainTextEdit(right);
    m_details->setReadOnly(true);
    layout->addWidget(split, 1);
    connect(m_aggregate, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &BatchResultsWindow::showAggregate);
    connect(m_items, &QTableWidget::cellClicked, this, [this](int row, int) { showItem(row); });
    resize(1100, 700);
}

void BatchResultsWindow::showResults(std::shared_ptr<const app::BatchResultsFile> file,
                                     const QString& path) {
    m_file = std::move(file);
    int failed = 0;
    for (const auto& item : results().items)
        failed += item.status != "ok";
    m_summary->setText(tr("%1: experiment \"%2\", %3 of %4 items finished, %5 failed")
                           .arg(path, QString::fromStdString(results().experimentName))
                           .arg(results().items.size())
                           .arg(results().itemsTotal)
                           .arg(failed));
    setWindowTitle(tr("Batch results \u2013 %1").arg(path));
    m_items->setRowCount(static_cast<int>(results().items.size()));
    for (int row = 0; row < m_items->rowCount(); ++row) {
        const auto& item = results().items[static_cast<size_t>(row)];
        const QStringList cells = {
            QString::fromStdString(item.key),    QString::fromStdString(item.dataset),
            QString::number(item.entry),         QString::fromStdString(item.edits),
            QString::fromStdString(item.status), QString::fromStdString(item.prompt),
            QString::fromStdString(item.error)};
        for (int c = 0; c < cells.size(); ++c)
            m_items->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
    const QSignalBlocker block(m_aggregate);
    m_aggregate->clear();
    for (const auto& [key, table] : results().aggregates)
        if (table.shape == "head_scores")
            m_aggregate->addItem(
                QStringLiteral("%1 \u2013 %2")
                    .arg(QString::fromStdString(table.analysis), QString::fromStdString(key)));
    showAggregate(0);
    m_details->clear();
    show();
    raise();
}

void BatchResultsWindow::showAggregate(int index) {
    if (!m_file) return;
    int seen = 0;
    for (const auto& [key, table] : results().aggregates) {
        if (table.shape != "head_scores") continue;
        if (seen++ != index) continue;
        HeadScoresSnapshot s;
        s.metric = QString::fromStdString(table.analysis);
        s.layers = table.rows;
        s.heads = table.cols;
        s.values.assign(table.values.begin(), table.values.end());
        s.description = tr("mean over the finished items (%1)").arg(QString::fromStdString(key));
        s.paramsJson = QString::fromStdString(table.paramsJson);
        m_atlas->setScores(std::move(s));
        return;
    }
}

void BatchResultsWindow::showItem(int row) {
    if (!m_file || row < 0 || static_cast<size_t>(row) >= results().items.size()) return;
    const auto& item = results().items[static_cast<size_t>(row)];
    QString text = QStringLiteral("%1: %2\n\n")
                       .arg(QString::fromStdString(item.key), QString::fromStdString(item.prompt));
    if (!item.error.empty()) text += tr("failed: %1\n").arg(QString::fromStdString(item.error));
    for (const auto& t : item.tables)
        text += tableText(t) + QLatin1Char('\n');
    m_details->setPlainText(text);
}

}  // namespace attnscope::ui
