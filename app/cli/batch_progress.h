#pragma once
// How `batch` shows its progress: a bar with rate and ETA on a terminal, or one JSON line per
// event (start, item, done) for scripts and logs.
#include <chrono>
#include <iosfwd>
#include <string>

#include "attnscope/app/batch.h"

namespace attnscope::app {

enum class BatchProgressMode { Bar, Json, None };

class BatchProgress {
public:
    BatchProgress(BatchProgressMode mode, std::ostream& out, std::ostream& err, int rank);
    /// The run's progress channel, cancelled by Ctrl-C (interruptFlag()).
    capture::Progress progress();
    void started(const BatchOutcome& counts, int todo, int ranks);
    void itemFinished(const ItemRecord& item, int done, int todo);
    void finished(const BatchOutcome& outcome, const std::string& out);

private:
    double elapsed() const;
    void drawBar(double fraction, const std::string& what);

    BatchProgressMode m_mode;
    std::ostream& m_out;
    std::ostream& m_err;
    int m_rank;
    int m_done = 0;
    int m_todo = 0;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

}  // namespace attnscope::app
