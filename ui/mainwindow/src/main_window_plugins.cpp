// Plugin scripts in the window: reload (menu item and file watcher), the analysis form's
// metric list, and the message bar for scripts that failed.
#include <QLabel>

#include "attnscope/ui/analysis_panel.h"
#include "attnscope/ui/app_controller.h"
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

void MainWindow::showPluginErrors() {
    m_messageBar->showMessages(tr("Plugin scripts that failed to load:"),
                               m_pluginWatcher->errors());
}

}  // namespace attnscope::ui
