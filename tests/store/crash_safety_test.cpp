// A writer killed mid-write leaves nothing under the final name, and an append that is
// killed leaves the existing file exactly as it was.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "store_test_support.h"

namespace attnscope::store::test {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kHeads = 4, kTokens = 64;

std::vector<float> runPattern(int run) {
    return randomValues(kHeads * kTokens * kTokens, 500 + run);
}

void writeRuns(CaptureWriter& writer, int first, int count) {
    for (int run = first; run < first + count; ++run) {
        writer.beginRun(sampleRun(kTokens, "prompt " + std::to_string(run)));
        const std::vector<float> pattern = runPattern(run);
        writer.writeHook(patternHookName(0), {pattern.data(), {kHeads, kTokens, kTokens}});
    }
}

void expectRuns(const fs::path& path, int count) {
    CaptureReader reader(path);
    ASSERT_EQ(reader.runCount(), count);
    for (int run = 0; run < count; ++run) {
        EXPECT_EQ(reader.run(run).prompt, "prompt " + std::to_string(run));
        EXPECT_EQ(reader.readHook(run, patternHookName(0)), runPattern(run));
    }
}

// Runs `write` in a child process (which never returns), waits until the child's temporary
// file has grown past `bytes`, then SIGKILLs it mid-write.
void killWriterMidWrite(const fs::path& dir, const std::function<void()>& write, uintmax_t bytes) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            write();
        } catch (...) {
        }
        ::_exit(3);  // never reached in a passing test: the parent kills us first
    }
    const std::string marker = ".tmp-" + std::to_string(child) + "-";
    // Each write the child makes to its temporary file wakes us (inotify), no polling.
    const int watch = inotify_init1(IN_CLOEXEC);
    ASSERT_GE(watch, 0);
    ASSERT_GE(inotify_add_watch(watch, dir.c_str(), IN_CREATE | IN_MODIFY), 0);
    bool grown = false;
    alignas(inotify_event) char events[4096];
    while (!grown) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            std::error_code error;
            if (entry.path().filename().string().find(marker) != std::string::npos &&
                fs::file_size(entry.path(), error) > bytes)
                grown = true;
        }
        if (grown) break;
        pollfd fd{watch, POLLIN, 0};
        if (::poll(&fd, 1, 60000) != 1) break;  // a guard against a child that writes nothing
        if (::read(watch, events, sizeof events) <= 0) break;
    }
    ::close(watch);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(grown) << "the child never wrote " << bytes << " bytes";
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed";
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

// Writes runs forever (a capture far bigger than the parent waits for).
void endlessWriter(CaptureWriter writer, int firstRun) {
    for (int run = firstRun;; ++run)
        writeRuns(writer, run, 1);
}

TEST(CrashSafety, KilledWriterLeavesNoFileUnderTheFinalName) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    killWriterMidWrite(
        dir.path(), [&] { endlessWriter(CaptureWriter::create(path, {}, sampleModel()), 0); },
        8u << 20);
    EXPECT_FALSE(fs::exists(path));
    // The dead writer's temporary is the only thing left, and the next writer clears it.
    ASSERT_EQ(fileNames(dir.path()).size(), 1u);
    CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
    writeRuns(writer, 0, 1);
    writer.commit();
    EXPECT_EQ(fileNames(dir.path()), std::vector<std::string>{"capture.h5"});
    expectRuns(path, 1);
}

TEST(CrashSafety, KilledAppendLeavesTheExistingFileIntact) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        writeRuns(writer, 0, 3);
        writer.commit();
    }
    const std::string before = readBytes(path);
    killWriterMidWrite(
        dir.path(), [&] { endlessWriter(CaptureWriter::append(path, {}), 3); },
        fs::file_size(path) + (8u << 20));
    EXPECT_EQ(readBytes(path), before);
    expectRuns(path, 3);
}

TEST(CrashSafety, AppendAddsRunsAndKeepsTheOldOnes) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    {
        CaptureWriter writer =
            CaptureWriter::create(path, {StorageType::Float32, true, 1}, sampleModel());
        writeRuns(writer, 0, 2);
        writer.commit();
    }
    {
        CaptureWriter writer = CaptureWriter::append(path, {});
        // Until commit the original is untouched.
        writeRuns(writer, 2, 1);
        expectRuns(path, 2);
        writer.commit();
    }
    expectRuns(path, 3);
    EXPECT_EQ(CaptureReader(path).model().fingerprint, sampleModel().fingerprint);
    EXPECT_EQ(fileNames(dir.path()), std::vector<std::string>{"capture.h5"});
}

TEST(CrashSafety, UncommittedWriterDiscardsItsWork) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        writeRuns(writer, 0, 2);
        writer.commit();
    }
    const std::string before = readBytes(path);
    {
        CaptureWriter replacing = CaptureWriter::create(path, {}, sampleModel());
        writeRuns(replacing, 5, 1);
        CaptureWriter appending = CaptureWriter::append(path, {});
        writeRuns(appending, 2, 1);
        EXPECT_TRUE(fs::exists(replacing.tempPath()));
        EXPECT_NE(replacing.tempPath(), appending.tempPath());
    }  // neither committed
    EXPECT_EQ(readBytes(path), before);
    EXPECT_EQ(fileNames(dir.path()), std::vector<std::string>{"capture.h5"});

    // A committed create replaces the old file as a whole.
    CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
    writeRuns(writer, 0, 1);
    writer.commit();
    expectRuns(path, 1);
}

// The PID of a process that has exited and been reaped.
pid_t deadPid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

std::vector<std::string> sortedFileNames(const fs::path& dir) {
    std::vector<std::string> names = fileNames(dir);
    std::sort(names.begin(), names.end());
    return names;
}

void writeBytes(const fs::path& path, size_t count) {
    std::ofstream(path, std::ios::binary) << std::string(count, 'x');
}

TEST(CrashSafety, TemporariesOfDeadWritersAreRemovedAndReported) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    const pid_t dead = deadPid();
    ASSERT_EQ(::kill(dead, 0), -1);  // gone: ESRCH
    const std::string stale = ".capture.h5.tmp-" + std::to_string(dead) + "-0";
    // A live writer (our parent), another file's temporary and a look-alike are kept.
    const std::string live = ".capture.h5.tmp-" + std::to_string(::getppid()) + "-3";
    const std::string otherFile = ".other.h5.tmp-" + std::to_string(dead) + "-0";
    const std::string notOurs = ".capture.h5.tmp-notapid-0";
    writeBytes(dir / stale, 12345);
    for (const auto& name : {live, otherFile, notOurs})
        writeBytes(dir / name, 10);

    const std::vector<StaleTemporary> removed = CaptureWriter::removeStaleTemporaries(path);
    ASSERT_EQ(removed.size(), 1u);
    EXPECT_EQ(removed[0].path, dir / stale);
    EXPECT_EQ(removed[0].bytes, 12345u);
    EXPECT_EQ(removed[0].pid, dead);
    std::vector<std::string> kept{live, otherFile, notOurs};
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(sortedFileNames(dir.path()), kept);

    // The writer does the same on its own: a second stale file goes when a capture is created.
    writeBytes(dir / stale, 100);
    CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
    writeRuns(writer, 0, 1);
    writer.commit();
    kept.push_back("capture.h5");
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(sortedFileNames(dir.path()), kept);
    EXPECT_TRUE(CaptureWriter::removeStaleTemporaries(path).empty());
}

}  // namespace
}  // namespace attnscope::store::test
