#pragma once
// The one thread that owns the embedded interpreter. It creates the interpreter (no signal
// handlers, Debian's python3 as sys.executable), runs the host's Python half, then waits for
// calls, holding the GIL only while it runs one.
#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace attnscope::plugins {

class PythonWorker {
public:
    /// The process's worker, started on first use (never stopped: the interpreter is never
    /// finalised, since numpy cannot be imported again after a restart, pybind11 #1380).
    static PythonWorker& instance();

    /// Runs `fn` on the worker with the GIL held and waits for it; exceptions come back to the
    /// caller. While waiting it watches `cancel` (may be null): once the token is set, the
    /// plugin's check_cancelled() raises; if the call still runs kInterruptAfter later, the
    /// worker gets an asynchronous attnscope.Cancelled (a long numpy call finishes first).
    /// Called on the worker itself (from a hook during a plugin call), it runs `fn` directly.
    void call(const std::function<void()>& fn, const std::atomic<bool>* cancel = nullptr);

    static constexpr std::chrono::milliseconds kInterruptAfter{1000};

private:
    PythonWorker();
    void run(std::promise<void>& started);
    void interrupt(std::uint64_t serial);

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<std::uint64_t, std::packaged_task<void()>>> m_tasks;
    std::uint64_t m_nextSerial = 1;  // guarded by m_mutex
    std::uint64_t m_running = 0;     // the serial of the call in progress; guarded by the GIL
    std::thread::id m_threadId;
    unsigned long m_pythonThreadId = 0;
    std::string m_startError;
};

/// The host's Python half (host_support.py) as a module; call with the GIL held.
pybind11::module_ hostModule();

}  // namespace attnscope::plugins
