#pragma once
// What the Qt test mains set up before their QApplication: the offscreen platform, test-mode
// standard paths, and settings and the runtime directory in temporary folders.
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace attnscope::test {

/// Construct before the QApplication and keep alive until the tests have run.
class QtTestEnvironment {
public:
    QtTestEnvironment() {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        QStandardPaths::setTestModeEnabled(true);
        qputenv("XDG_RUNTIME_DIR", m_runtimeDir.path().toLocal8Bit());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::SystemScope, m_settingsDir.path());
    }

private:
    QTemporaryDir m_settingsDir;
    QTemporaryDir m_runtimeDir;  // created 0700, as XDG_RUNTIME_DIR must be
};

}  // namespace attnscope::test
