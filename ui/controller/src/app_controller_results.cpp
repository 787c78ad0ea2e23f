// File ▸ Open results: a batch results file is verified and read on the controller's worker,
// so that a large file never blocks the GUI thread; the window gets the plain values.
#include "app_controller_jobs.h"
#include "attnscope/app/batch.h"

namespace attnscope::ui {
namespace {

struct BatchResultsJob : JobStatus {
    std::shared_ptr<const app::BatchResultsFile> results;
};

}  // namespace

void AppController::openBatchResults(const QString& path) {
    startJob<BatchResultsJob>(
        QStringLiteral("results"), jobs::freshToken(m_batchResultsCancel),
        [path](const capture::Progress& progress) {
            BatchResultsJob r;
            r.results = std::make_shared<const app::BatchResultsFile>(
                app::readBatchResults(path.toStdString(), progress));
            return r;
        },
        [this, path](BatchResultsJob r) {
            if (!r.error.isEmpty())
                Q_EMIT batchResultsFailed(path, r.error);
            else if (!r.cancelled)
                Q_EMIT batchResultsOpened(r.results, path);
        });
}

}  // namespace attnscope::ui
