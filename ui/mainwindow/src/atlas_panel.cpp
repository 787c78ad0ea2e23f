#include "attnscope/ui/atlas_panel.h"

#include <QComboBox>
#include <QHeaderView>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "attnscope/ui/head_scores_proxy_model.h"
#include "attnscope/ui/head_scores_table_model.h"
#include "attnscope/ui/item_roles.h"

namespace attnscope::ui {

AtlasPanel::AtlasPanel(QWidget* parent) : QWidget(parent) {
    m_model = new HeadScoresTableModel(this);
    m_proxy = new HeadScoresProxyModel(this);
    m_proxy->setSourceModel(m_model);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_combo = new QComboBox(this);
    m_combo->setObjectName(QStringLiteral("atlasScoreCombo"));
    layout->addWidget(m_combo);
    auto* split = new QSplitter(Qt::Vertical, this);
    m_atlas = new HeadAtlasView(split);
    m_table = new QTableView(split);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    // Rows one line high: more of them fit in a dock.
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    split->addWidget(m_atlas);
    split->addWidget(m_table);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    connect(m_combo, &QComboBox::currentIndexChanged, this,
            [this] { Q_EMIT scoreChanged(score()); });
    connect(m_atlas, &HeadAtlasView::headClicked, this, &AtlasPanel::headClicked);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const QModelIndex src = m_proxy->mapToSource(index);
        auto value = [&](int column) {
            return m_model->index(src.row(), column).data(RawValueRole).toInt();
        };
        Q_EMIT headClicked(value(HeadScoresTableModel::LayerColumn),
                           value(HeadScoresTableModel::HeadColumn));
    });
}

void AtlasPanel::setScoreChoices(const std::vector<std::pair<QString, QString>>& choices) {
    const QString current = score();
    {
        const QSignalBlocker block(m_combo);
        m_combo->clear();
        for (const auto& [label, metric] : choices)
            m_combo->addItem(label, metric);
        const int i = m_combo->findData(current);
        m_combo->setCurrentIndex(i >= 0 ? i : 0);
    }
    if (score() != current) Q_EMIT scoreChanged(score());
}

QString AtlasPanel::score() const {
    return m_combo->currentData().toString();
}

QString AtlasPanel::scoreLabel() const {
    return m_combo->currentText();
}

bool AtlasPanel::setScore(const QString& metric) {
    const int i = m_combo->findData(metric);
    if (i < 0) return false;
    m_combo->setCurrentIndex(i);
    return true;
}

void AtlasPanel::setScores(const HeadScoresSnapshot& scores) {
    m_atlas->setScores(scores);
    m_model->setSnapshot(scores);
    m_table->resizeColumnsToContents();
}

}  // namespace attnscope::ui
