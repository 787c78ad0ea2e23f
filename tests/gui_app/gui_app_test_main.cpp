// gtest main for the application tests: offscreen platform, settings in a temporary directory.
#include <ATen/ATen.h>  // LibTorch before Qt (the PCH does the same)
#include <gtest/gtest.h>

#include <QApplication>

#include "qt_test_environment.h"

int main(int argc, char** argv) {
    const attnscope::test::QtTestEnvironment environment;
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("AttnScopeTests"));
    QApplication::setApplicationName(QStringLiteral("gui_app_tests"));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
