// gtest main for the Qt tests: offscreen platform, settings in a temporary directory,
// and QAbstractItemModelTester's warnings turned into test failures.
#include <gtest/gtest.h>

#include <QApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cstring>

namespace {

QtMessageHandler g_previousHandler = nullptr;

void failOnModelTesterWarnings(QtMsgType type, const QMessageLogContext& context,
                               const QString& message) {
    // The offscreen platform reports every window-manager call it ignores; noise here.
    if (message.startsWith(QLatin1String("This plugin does not support"))) return;
    if (type != QtDebugMsg && type != QtInfoMsg && context.category &&
        std::strcmp(context.category, "qt.modeltest") == 0) {
        ADD_FAILURE() << "QAbstractItemModelTester: " << message.toStdString();
    }
    if (g_previousHandler) g_previousHandler(type, context, message);
}

}  // namespace

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
    QApplication::setApplicationName(QStringLiteral("gui_tests"));
    g_previousHandler = qInstallMessageHandler(failOnModelTesterWarnings);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
