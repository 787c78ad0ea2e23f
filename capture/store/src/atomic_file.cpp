#include "atomic_file.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "hdf5_handle.h"

namespace attnscope::store::detail {

namespace fs = std::filesystem;

namespace {

std::string temporaryPrefix(const fs::path& finalPath) {
    return "." + finalPath.filename().string() + ".tmp-";
}

std::string systemError(const std::string& what, const fs::path& path) {
    return what + " '" + path.string() + "': " + std::strerror(errno);
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0) ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

void syncPath(const fs::path& path, int flags) {
    FileDescriptor fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (fd.get() < 0) fail(systemError("cannot open", path));
    if (::fsync(fd.get()) != 0) fail(systemError("cannot fsync", path));
    if (::close(fd.release()) != 0) fail(systemError("cannot close", path));
}

fs::path directoryOf(const fs::path& path) {
    const fs::path parent = path.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

fs::path temporaryPathFor(const fs::path& finalPath) {
    // The counter keeps two writers of one process on one final name apart.
    static std::atomic<unsigned> counter{0};
    return finalPath.parent_path() / (temporaryPrefix(finalPath) + std::to_string(::getpid()) +
                                      "-" + std::to_string(counter++));
}

std::vector<StaleTemporary> removeStaleTemporaries(const fs::path& finalPath) {
    std::vector<StaleTemporary> removed;
    const std::string prefix = temporaryPrefix(finalPath);
    std::error_code error;
    fs::directory_iterator it(directoryOf(finalPath), error);
    if (error) return removed;  // the caller's own create will report an unusable directory
    for (const fs::directory_entry& entry : it) {
        const std::string name = entry.path().filename().string();
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const size_t dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos) continue;
        pid_t pid = 0;
        try {
            pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
        } catch (const std::exception&) {
            continue;
        }
        if (pid <= 0 || pid == ::getpid()) continue;
        // ESRCH: no such process. EPERM means it exists under another user: leave it.
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
        std::error_code sizeError;
        const uintmax_t bytes = fs::file_size(entry.path(), sizeError);
        if (fs::remove(entry.path(), error))
            removed.push_back({entry.path(), sizeError ? 0 : bytes, static_cast<int64_t>(pid)});
    }
    return removed;
}

void copyFile(const fs::path& from, const fs::path& to) {
    FileDescriptor in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) fail(systemError("cannot open", from));
    FileDescriptor out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) fail(systemError("cannot create", to));
    if (::ioctl(out.get(), FICLONE, in.get()) == 0) return;

    // No reflink: copy_file_range lets the kernel copy without a round trip through us.
    for (;;) {
        const ssize_t copied =
            ::copy_file_range(in.get(), nullptr, out.get(), nullptr, size_t{1} << 30, 0);
        if (copied == 0) break;
        if (copied > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
            fail(systemError("cannot copy to", to));
        // Fall back to read/write from wherever copy_file_range stopped.
        std::string buffer(size_t{1} << 20, '\0');
        for (;;) {
            const ssize_t got = ::read(in.get(), buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) fail(systemError("cannot read", from));
            if (got == 0) break;
            for (ssize_t done = 0; done < got;) {
                const ssize_t put =
                    ::write(out.get(), buffer.data() + done, static_cast<size_t>(got - done));
                if (put < 0 && errno == EINTR) continue;
                if (put < 0) fail(systemError("cannot write", to));
                done += put;
            }
        }
        break;
    }
    if (::close(out.release()) != 0) fail(systemError("cannot close", to));
}

void publishFile(const fs::path& temp, const fs::path& finalPath) {
    syncPath(temp, O_RDONLY);
    if (::rename(temp.c_str(), finalPath.c_str()) != 0)
        fail("cannot rename '" + temp.string() + "' to '" + finalPath.string() +
             "': " + std::strerror(errno));
    syncPath(directoryOf(finalPath), O_RDONLY | O_DIRECTORY);
}

}  // namespace attnscope::store::detail
