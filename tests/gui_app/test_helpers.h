#pragma once
// Waiting on the event loop in the application tests.
#include <QElapsedTimer>
#include <QTest>

#include <functional>

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

}  // namespace attnscope::test
