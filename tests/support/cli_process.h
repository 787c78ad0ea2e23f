#pragma once
// Runs attnscope-cli (or any program) as a real child process and collects its exit code and
// output. fork + exec at once, so the child never touches the parent's LibTorch state.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace attnscope::test {

struct ProcessResult {
    int exitCode = -1;  ///< -signal when killed by one
    std::string out;
    std::string err;
};

/// A started child; wait() collects its output. Standard input is /dev/null.
class ChildProcess {
public:
    explicit ChildProcess(const std::vector<std::string>& argv) {
        int out[2], err[2];
        if (pipe(out) != 0 || pipe(err) != 0) return;
        m_pid = fork();
        if (m_pid == 0) {
            const int devNull = open("/dev/null", O_RDONLY);
            dup2(devNull, 0);
            dup2(out[1], 1);
            dup2(err[1], 2);
            close(out[0]);
            close(err[0]);
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
        close(out[1]);
        close(err[1]);
        m_out = out[0];
        m_err = err[0];
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() {
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            wait();
        }
    }

    pid_t pid() const { return m_pid; }

    /// Reads both pipes to their end, then reaps the child.
    ProcessResult wait() {
        ProcessResult r;
        if (m_pid <= 0) return r;
        pollfd fds[2] = {{m_out, POLLIN, 0}, {m_err, POLLIN, 0}};
        std::string* sinks[2] = {&r.out, &r.err};
        int open = 2;
        char buffer[65536];
        while (open > 0) {
            if (poll(fds, 2, -1) < 0) break;
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
                const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
                if (n > 0) {
                    sinks[i]->append(buffer, static_cast<size_t>(n));
                } else {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    --open;
                }
            }
        }
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return r;
    }

private:
    pid_t m_pid = -1;
    int m_out = -1;
    int m_err = -1;
};

/// Runs `argv` to completion.
inline ProcessResult runProcess(const std::vector<std::string>& argv) {
    ChildProcess child(argv);
    return child.wait();
}

}  // namespace attnscope::test
