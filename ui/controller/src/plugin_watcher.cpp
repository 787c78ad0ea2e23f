#include "attnscope/ui/plugin_watcher.h"

#include <QDir>

#include "attnscope/plugins/plugin_host.h"

namespace attnscope::ui {

PluginWatcher::PluginWatcher(QObject* parent) : QObject(parent) {
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, &m_debounce,
            qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, &m_debounce, qOverload<>(&QTimer::start));
    connect(&m_debounce, &QTimer::timeout, this, &PluginWatcher::changedOnDisk);
    watch();
}

void PluginWatcher::watch() {
    if (!m_watcher.files().isEmpty()) m_watcher.removePaths(m_watcher.files());
    if (!m_watcher.directories().isEmpty()) m_watcher.removePaths(m_watcher.directories());
    for (const auto& folder : plugins::PluginHost::instance().folders()) {
        const QString dir = QString::fromStdString(folder.string());
        if (!QDir(dir).exists()) continue;
        m_watcher.addPath(dir);  // scripts added or removed
        // Editors that save in place change the file, not the folder.
        for (const QString& f : QDir(dir).entryList({QStringLiteral("*.py")}, QDir::Files))
            m_watcher.addPath(QDir(dir).filePath(f));
    }
}

void PluginWatcher::reload() {
    plugins::PluginHost::instance().reload();
    watch();  // editors that replace the file drop it from the watch list
    Q_EMIT reloaded(errors());
}

QStringList PluginWatcher::errors() const {
    QStringList out;
    for (const auto& r : plugins::PluginHost::instance().plugins())
        if (!r.loaded) out << QString::fromStdString(r.error);
    return out;
}

}  // namespace attnscope::ui
