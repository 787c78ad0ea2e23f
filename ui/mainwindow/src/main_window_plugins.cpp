// Plugin scripts in the window: reload (menu item and file watcher), the analysis form's
// metric list, the message bar for scripts that failed, and plugin attention edits in the
// edit list.
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>

#include <algorithm>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/intervention_kinds.h"
#include "attnscope/ui/main_window.h"
#include "attnscope/ui/message_bar.h"
#include "attnscope/ui/metric_descriptor.h"
#include "attnscope/ui/plugin_watcher.h"

namespace attnscope::ui {

void MainWindow::reloadPlugins() {
    // The registry must not change under a running analysis: reload when it ends.
    if (m_controller->analysisRunning()) {
        m_pluginReloadPending = true;
        m_status->setText(tr("Plugins will reload when the analysis ends"));
        return;
    }
    m_pluginReloadPending = false;
    m_pluginWatcher->reload();
}

void MainWindow::onPluginsReloaded(const QStringList& errors) {
    m_analysis->setMetrics(metricCatalog());
    showPluginErrors();
    m_status->setText(errors.isEmpty() ? tr("Plugins reloaded")
                                       : tr("Plugins reloaded; %n failed", nullptr,
                                            static_cast<int>(errors.size())));
    Q_EMIT pluginsReloaded();
}

void MainWindow::addPluginEdit(const QString& name, int layer, int head,
                               const QMap<QString, QString>& params) {
    const QString key =
        name.startsWith(QLatin1String("plugin:")) ? name : QStringLiteral("plugin:") + name;
    InterventionItem item{
        kinds::kPluginEdit, layer, head, 0.0, true, tr("L%1H%2 %3").arg(layer).arg(head).arg(key)};
    item.plugin = key;
    item.params = params;
    syncPromptsToController();
    InterventionList items = m_applied;
    items.push_back(std::move(item));
    editInterventions(items, tr("Add %1 on L%2H%3").arg(key).arg(layer).arg(head));
}

void MainWindow::choosePluginEdit() {
    const std::vector<MetricDescriptor> edits = attentionEditCatalog();
    if (edits.empty()) {
        showError(tr("No plugin declares an attention edit. See docs/plugins.md, \"edits\"."));
        return;
    }
    QStringList names;
    for (const MetricDescriptor& e : edits)
        names << e.name;
    bool ok = false;
    const QString name =
        QInputDialog::getItem(this, tr("Plugin edit"), tr("Attention edit:"), names, 0, false, &ok);
    if (!ok) return;
    const int layer = QInputDialog::getInt(this, tr("Plugin edit"), tr("Layer:"),
                                           std::max(0, m_selected.layer), 0, 1 << 20, 1, &ok);
    if (!ok) return;
    const int head = QInputDialog::getInt(this, tr("Plugin edit"), tr("Head:"),
                                          std::max(0, m_selected.head), 0, 1 << 20, 1, &ok);
    if (!ok) return;
    // The declared parameters with their defaults, as KEY=VALUE pairs to edit.
    QStringList defaults;
    for (const ParamDescriptor& p : edits[static_cast<size_t>(names.indexOf(name))].params)
        defaults << p.name + QLatin1Char('=') + p.defaultValue;
    const QString text = QInputDialog::getText(
        this, tr("Plugin edit"), tr("Parameters (KEY=VALUE, comma-separated):"), QLineEdit::Normal,
        defaults.join(QStringLiteral(", ")), &ok);
    if (!ok) return;
    QMap<QString, QString> params;
    for (const QString& pair : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            showError(tr("Parameter '%1': expected KEY=VALUE").arg(pair.trimmed()));
            return;
        }
        params.insert(pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed());
    }
    addPluginEdit(name, layer, head, params);
}

void MainWindow::showPluginErrors() {
    m_messageBar->showMessages(tr("Plugin scripts that failed to load:"),
                               m_pluginWatcher->errors());
}

}  // namespace attnscope::ui
