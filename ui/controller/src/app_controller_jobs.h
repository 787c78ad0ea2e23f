#pragma once
// How the controller runs a job (private to the controller's sources): the job template and
// its helpers, shared by app_controller.cpp and app_controller_circuits.cpp.
#include <QFutureWatcher>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <memory>

#include "attnscope/capture/progress.h"
#include "attnscope/ui/app_controller.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace attnscope::ui {

struct JobStatus {
    QString error;
    bool cancelled = false;
};

namespace jobs {

inline std::shared_ptr<std::atomic<bool>> freshToken(std::shared_ptr<std::atomic<bool>>& previous) {
    if (previous) previous->store(true);
    previous = std::make_shared<std::atomic<bool>>(false);
    return previous;
}

// The worker yields to the GUI thread when the CPU is short: a nice value of 5 gives the GUI
// thread about three times its share. Threads the worker starts (LibTorch's OpenMP pool)
// inherit it. Called on the worker thread.
inline void lowerWorkerPriority() {
#ifdef __linux__
    thread_local bool done = false;
    if (done) return;
    done = true;
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);
#endif
}

}  // namespace jobs

template <class Result, class Work, class Done>
void AppController::startJob(const QString& task, std::shared_ptr<std::atomic<bool>> cancel,
                             Work work, Done done) {
    auto* watcher = new QFutureWatcher<Result>(this);
    connect(watcher, &QFutureWatcherBase::progressValueChanged, this,
            [this, watcher, task](int value) {
                Q_EMIT progressChanged(task, value / 1000.0, watcher->progressText());
            });
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, done]() {
        Result r = watcher->future().resultCount() > 0 ? watcher->result() : Result{};
        watcher->deleteLater();
        jobEnded();
        done(std::move(r));
    });
    jobStarted();
    Q_EMIT progressChanged(task, 0.0, QString());
    // The worker sees only the work function, its cancel token and the promise.
    watcher->setFuture(QtConcurrent::run(&m_pool, [work, cancel](QPromise<Result>& promise) {
        jobs::lowerWorkerPriority();
        promise.setProgressRange(0, 1000);
        const capture::Progress progress(
            [&promise](double f, const std::string& what) {
                promise.setProgressValueAndText(static_cast<int>(f * 1000),
                                                QString::fromStdString(what));
            },
            cancel.get());
        Result r;
        try {
            progress.check();
            r = work(progress);
        } catch (const capture::Cancelled&) {
            r.cancelled = true;
        } catch (const std::exception& e) {
            r.error = QString::fromUtf8(e.what());
        }
        promise.addResult(std::move(r));
    }));
}

}  // namespace attnscope::ui
