#include "isolated_verification.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "attnscope/store/capture_reader.h"
#include "attnscope/store/store_error.h"

namespace attnscope::store::detail {
namespace {

// Exit codes of the verifying child; anything else (a signal, a sanitizer's exit) is a crash.
constexpr int kVerified = 0;
constexpr int kOrdinaryError = 3;
// A valid file's metadata walk takes milliseconds; a corrupt one can make HDF5 loop.
#if defined(__SANITIZE_ADDRESS__)
// GCC 12's AddressSanitizer registers no fork handler for its allocator (LLVM added one in
// 2023), so a child forked while another thread of a busy process (the window) holds an
// allocator lock deadlocks at its first allocation. Sanitizer builds therefore replace the
// forked child by this program started afresh, told by the environment to verify one file
// before main() runs; that costs a process start per verified file (hence the longer timeout),
// which only they pay.
constexpr const char* kVerifyVariable = "ATTNSCOPE_VERIFY_HDF5_FILE";
constexpr auto kTimeout = std::chrono::seconds(30);
#else
constexpr auto kTimeout = std::chrono::seconds(10);
#endif

[[noreturn]] void verifyAndExit(const std::filesystem::path& path) {
    int code = kVerified;
    try {
        CaptureReader reader(path, CaptureReader::Trust::Trusted);
        (void)reader.model();
        for (int64_t r = 0; r < reader.runCount(); ++r) {
            (void)reader.run(r);
            for (const auto& hook : reader.hooks(r)) {
                // One element of every dataset exercises its chunk index and filters too.
                const auto shape = reader.shape(r, hook);
                if (std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d > 0; }))
                    (void)reader.readSlab(r, hook, std::vector<int64_t>(shape.size(), 0),
                                          std::vector<int64_t>(shape.size(), 1));
            }
        }
        for (const auto& metric : reader.resultMetrics())
            for (const auto& key : reader.resultKeys(metric))
                (void)reader.scoreParams(metric, key);
        for (const auto& circuit : reader.circuitNames())
            (void)reader.readCircuit(circuit);
    } catch (...) {
        code = kOrdinaryError;
    }
    ::_exit(code);  // no destructors or atexit handlers of the parent's state
}

#if defined(__SANITIZE_ADDRESS__)
// The started-afresh verifier: runs while this program's static objects are initialised,
// before main(), when the environment names a file.
const bool s_verifierEntry = [] {
    if (const char* path = std::getenv(kVerifyVariable)) verifyAndExit(path);
    return true;
}();
#endif

// Forks the verifying child; in sanitizer builds the child at once replaces itself by this
// program started afresh (execve is safe between fork and exec, an allocation is not).
pid_t startVerifier(const std::filesystem::path& path) {
#if defined(__SANITIZE_ADDRESS__)
    const std::string assignment = std::string(kVerifyVariable) + "=";
    std::vector<std::string> environment{assignment + path.string()};
    for (char** e = environ; *e; ++e)
        if (std::string(*e).rfind(assignment, 0) != 0) environment.emplace_back(*e);
    std::vector<char*> envp;
    for (std::string& e : environment)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    char program[] = "attnscope-verifier";
    char* argv[] = {program, nullptr};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execve("/proc/self/exe", argv, envp.data());
        ::_exit(127);  // could not start: a crash to the parent, like any failed child
    }
#else
    const pid_t pid = ::fork();
    if (pid == 0) verifyAndExit(path);
#endif
    return pid;
}

}  // namespace

void verifyInChildProcess(const std::filesystem::path& path) {
    const pid_t pid = startVerifier(path);
    if (pid < 0) return;  // cannot fork: fall back to reading in-process
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0) return;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw StoreError(path.string() +
                             ": reading the file's metadata hung; the file is corrupt");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (WIFEXITED(status) &&
        (WEXITSTATUS(status) == kVerified || WEXITSTATUS(status) == kOrdinaryError))
        return;
    throw StoreError(path.string() +
                     ": the file is corrupt (the HDF5 library failed while reading its metadata)");
}

}  // namespace attnscope::store::detail
