// gtest main for the Qt tests: offscreen platform, settings in a temporary directory,
// and QAbstractItemModelTester's warnings turned into test failures.
#include <gtest/gtest.h>

#include <QApplication>

#include "qt_test_environment.h"

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
    const attnscope::test::QtTestEnvironment environment;
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("AttnScopeTests"));
    QApplication::setApplicationName(QStringLiteral("gui_tests"));
    g_previousHandler = qInstallMessageHandler(failOnModelTesterWarnings);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
