#pragma once
// Waiting on the event loop in the application tests.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QTest>

#include <functional>

#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/main_window.h"
#include "expected_runs.h"

namespace attnscope::test {

/// Spins the event loop until `done()` holds; false after `timeoutMs`.
inline bool waitUntil(const std::function<bool()>& done, int timeoutMs = 120000) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs) return false;
        QTest::qWait(5);
    }
    return true;
}

/// Shows `w` (errors recorded, not shown as dialogs), types the model's prompt, opens the model
/// and waits for the first run's results.
inline ::testing::AssertionResult openAndRun(ui::MainWindow& w, const TestModel& model) {
    w.setQuietErrors(true);
    w.show();
    w.setPrompt(model.prompt);
    w.openModel(QString::fromStdString(model.dir.string()));
    if (waitUntil([&] { return w.controller()->lastRun() != nullptr; }))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no run: " << w.lastError().toStdString();
}

}  // namespace attnscope::test
