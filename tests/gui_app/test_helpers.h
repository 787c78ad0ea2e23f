#pragma once
// Waiting on the event loop in the application tests.
#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QEvent>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "attnscope/ui/app_controller.h"
#include "attnscope/ui/main_window.h"
#include "expected_runs.h"
#include "fixture_paths.h"

namespace attnscope::test {

/// Processes events until `done()` holds; false when it still does not after `timeoutMs` (a
/// guard against hanging, not a measurement).
inline bool waitUntil(const std::function<bool()>& done, int timeoutMs = 120000) {
    return QTest::qWaitFor(done, timeoutMs);
}

/// The largest absolute difference of two maps (a test failure when their sizes differ).
inline double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    EXPECT_EQ(a.size(), b.size());
    double m = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        m = std::max(m, std::abs(double(a[i]) - double(b[i])));
    return m;
}

/// Delivers the pending layout requests and the events they post (no waiting on a clock).
inline void settleLayout() {
    for (int i = 0; i < 3; ++i) {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
    }
}

/// A test on the application tests' model (skipped when its fixture is missing).
class AppModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        model = testModel();
        ATTNSCOPE_REQUIRE_FIXTURE(model.dir);
    }
    TestModel model;
};

/// AppModelTest with the runtime-side expected values of the model at hand.
class ExpectedRunTest : public AppModelTest {
protected:
    void SetUp() override {
        AppModelTest::SetUp();
        if (!IsSkipped()) runner = std::make_unique<ExpectedRunner>(model.dir);
    }
    std::unique_ptr<ExpectedRunner> runner;
};

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
