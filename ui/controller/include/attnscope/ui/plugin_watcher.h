#pragma once

#include <QFileSystemWatcher>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace attnscope::ui {

/// The GUI's side of the plugin host: reloads plugin scripts (menu item, or a change in a
/// plugin folder seen by a QFileSystemWatcher, debounced) and reports which failed. The
/// reload itself runs on the plugin host's worker; this object lives on the GUI thread.
class PluginWatcher : public QObject {
    Q_OBJECT
public:
    explicit PluginWatcher(QObject* parent = nullptr);

    /// Reloads every plugin now (the caller makes sure no analysis runs) and emits reloaded().
    void reload();
    /// The errors of the scripts that failed in the last load, one message each.
    QStringList errors() const;
    /// The folders watched: the host's plugin folders that exist.
    QStringList folders() const { return m_watcher.directories(); }
    /// Changes on disk reload after this many ms (the file watcher fires several times per save).
    void setDebounce(int ms) { m_debounce.setInterval(ms); }

Q_SIGNALS:
    /// The registry now holds the reloaded plugin metrics; `errors` lists the failed scripts.
    void reloaded(const QStringList& errors);
    /// A watched file changed; the owner decides when to reload (e.g. after an analysis).
    void changedOnDisk();

private:
    void watch();

    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
};

}  // namespace attnscope::ui
