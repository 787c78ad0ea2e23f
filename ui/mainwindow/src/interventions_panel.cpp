#include "attnscope/ui/interventions_panel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include "attnscope/ui/intervention_list_model.h"

namespace attnscope::ui {

InterventionsPanel::InterventionsPanel(InterventionListModel* model, QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("interventionsTable"));
    m_table->setModel(model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    // Rows one line high: more of them fit in a dock.
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    layout->addWidget(m_table, 1);
    auto* buttons = new QHBoxLayout;
    auto* remove = new QPushButton(tr("Remove"), this);
    auto* clear = new QPushButton(tr("Clear"), this);
    m_pluginEdit = new QPushButton(tr("Plugin edit\u2026"), this);
    m_pluginEdit->setObjectName(QStringLiteral("addPluginEditButton"));
    m_pluginEdit->setToolTip(tr("Apply a plugin's attention edit to a head (docs/plugins.md)"));
    buttons->addWidget(remove);
    buttons->addWidget(clear);
    buttons->addWidget(m_pluginEdit);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(remove, &QPushButton::clicked, this, [this] {
        const QModelIndex i = m_table->currentIndex();
        if (i.isValid()) Q_EMIT removeRequested(i.row());
    });
    connect(clear, &QPushButton::clicked, this, &InterventionsPanel::clearRequested);
    connect(m_pluginEdit, &QPushButton::clicked, this, &InterventionsPanel::pluginEditRequested);
    // Columns fit their contents whenever the list changes.
    connect(model, &QAbstractItemModel::modelReset, m_table,
            [this] { m_table->resizeColumnsToContents(); });
}

}  // namespace attnscope::ui
