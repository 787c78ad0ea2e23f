#pragma once
// A progress line on the terminal and a SIGINT-backed cancel flag for long CLI jobs.
#include <atomic>
#include <iosfwd>
#include <string>

#include "attnscope/capture/progress.h"

namespace attnscope::app {

/// Set by SIGINT (Ctrl-C) once installed; long jobs poll it and stop (capture::Cancelled).
const std::atomic<bool>& interruptFlag();

class TerminalProgress {
public:
    TerminalProgress(std::ostream& out, bool enabled);
    /// Ends the bar's line, also when the job stopped with an exception (a cancel).
    ~TerminalProgress() { finish(); }
    TerminalProgress(const TerminalProgress&) = delete;
    TerminalProgress& operator=(const TerminalProgress&) = delete;
    /// The bar as the shared progress type, cancelled by Ctrl-C (interruptFlag()).
    capture::Progress progress();
    void finish();

private:
    std::ostream& m_out;
    bool m_enabled;
    bool m_drawn = false;
};

}  // namespace attnscope::app
