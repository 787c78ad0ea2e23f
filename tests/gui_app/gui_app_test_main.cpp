// gtest main for the application tests: offscreen platform, settings in a temporary directory.
#include <ATen/ATen.h>  // LibTorch before Qt (the PCH does the same)
#include <gtest/gtest.h>

#include <QApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir settingsDir;
    QTemporaryDir runtimeDir;  // created 0700, as XDG_RUNTIME_DIR must be
    qputenv("XDG_RUNTIME_DIR", runtimeDir.path().toLocal8Bit());
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::SystemScope, settingsDir.path());
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("AttnScopeTests"));
    QApplication::setApplicationName(QStringLiteral("gui_app_tests"));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
