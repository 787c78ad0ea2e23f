#include "python_worker.h"

#include <Python.h>

#include <stdexcept>

#include "attnscope/plugins/plugin_host.h"
#include "host_support_py.h"

namespace py = pybind11;

namespace attnscope::plugins {
namespace {

constexpr const char* kHostModule = "_attnscope_host";

// Debian's interpreter, whatever python3 comes first on PATH: sys.executable is the one the
// build found, the configuration is isolated from PYTHONHOME/PYTHONPATH (which may point at
// another Python's library), and no signal handler is installed (Ctrl-C stays the front end's).
void startInterpreter() {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;       // no __pycache__ in plugin folders
    config.user_site_directory = 1;  // pip install --user packages stay importable
    config.parse_argv = 0;
    PyStatus status =
        PyConfig_SetBytesString(&config, &config.executable, ATTNSCOPE_PYTHON_EXECUTABLE);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status))
        throw PluginError(std::string("cannot start the embedded Python (") +
                          ATTNSCOPE_PYTHON_EXECUTABLE +
                          "): " + (status.err_msg ? status.err_msg : "unknown error"));
    // The host's Python half, compiled under a file name that tracebacks leave out.
    py::module_ host = py::module_::import("types").attr("ModuleType")(kHostModule);
    py::module_::import("sys").attr("modules")[kHostModule] = host;
    const py::module_ builtins = py::module_::import("builtins");
    builtins.attr("exec")(builtins.attr("compile")(kHostSupportPy, "<attnscope-host>", "exec"),
                          host.attr("__dict__"));
}

}  // namespace

PythonWorker& PythonWorker::instance() {
    // Leaked on purpose: the thread and the interpreter live until the process ends.
    static PythonWorker* worker = new PythonWorker;
    return *worker;
}

PythonWorker::PythonWorker() {
    std::promise<void> started;
    std::future<void> ready = started.get_future();
    m_thread = std::thread([this, &started] { run(started); });
    m_threadId = m_thread.get_id();
    m_thread.detach();
    ready.get();  // rethrows a failed start
}

void PythonWorker::run(std::promise<void>& started) {
    PyThreadState* state = nullptr;
    try {
        startInterpreter();
        m_pythonThreadId = PyThread_get_thread_ident();
        state = PyEval_SaveThread();  // the GIL is free between calls
        started.set_value();
    } catch (...) {
        if (Py_IsInitialized() && PyErr_Occurred()) PyErr_Clear();
        started.set_exception(std::current_exception());
        return;
    }
    for (;;) {
        std::pair<std::uint64_t, std::packaged_task<void()>> next;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [this] { return !m_tasks.empty(); });
            next = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        PyEval_RestoreThread(state);
        m_running = next.first;
        next.second();
        m_running = 0;
        // An asynchronous Cancelled that arrived as the call returned must not hit the next.
        PyThreadState_SetAsyncExc(m_pythonThreadId, nullptr);
        state = PyEval_SaveThread();
    }
}

void PythonWorker::interrupt(std::uint64_t serial) {
    const PyGILState_STATE gil = PyGILState_Ensure();
    if (m_running == serial) {  // under the GIL: the call cannot finish meanwhile
        py::object cancelled = py::module_::import("attnscope").attr("Cancelled");
        PyThreadState_SetAsyncExc(m_pythonThreadId, cancelled.ptr());
    }
    PyGILState_Release(gil);
}

void PythonWorker::call(const std::function<void()>& fn, const std::atomic<bool>* cancel) {
    if (std::this_thread::get_id() == m_threadId) {
        fn();
        return;
    }
    // A Python exception must not leave the worker: its destructor needs the GIL.
    std::packaged_task<void()> task([&fn] {
        try {
            fn();
        } catch (py::error_already_set& e) {
            throw PluginError(std::string("embedded Python: ") + e.what());
        }
    });
    std::future<void> done = task.get_future();
    std::uint64_t serial = 0;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        serial = m_nextSerial++;
        m_tasks.emplace_back(serial, std::move(task));
    }
    m_wake.notify_one();
    if (cancel) {
        // Poll the token: the GUI's Cancel and the CLI's SIGINT only set it.
        std::chrono::steady_clock::time_point interruptAt{};
        while (done.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
            if (!cancel->load()) continue;
            const auto now = std::chrono::steady_clock::now();
            if (interruptAt == std::chrono::steady_clock::time_point{}) {
                interruptAt = now + kInterruptAfter;
            } else if (now >= interruptAt) {
                interrupt(serial);
                interruptAt = now + kInterruptAfter;  // again, if the plugin swallowed it
            }
        }
    }
    done.get();
}

py::module_ hostModule() {
    return py::module_::import(kHostModule);
}

}  // namespace attnscope::plugins
