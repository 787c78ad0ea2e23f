#include "terminal_progress.h"

#include <csignal>
#include <iomanip>
#include <ostream>

namespace attnscope::app {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int) {
    g_interrupted.store(true);
}

}  // namespace

const std::atomic<bool>& interruptFlag() {
    static const bool installed = [] {
        std::signal(SIGINT, onInterrupt);
        return true;
    }();
    (void)installed;
    return g_interrupted;
}

TerminalProgress::TerminalProgress(std::ostream& out, bool enabled)
    : m_out(out), m_enabled(enabled) {}

capture::Progress TerminalProgress::progress() {
    return capture::Progress(
        [this](double fraction, const std::string& what) {
            if (!m_enabled) return;
            const int width = 30, filled = static_cast<int>(fraction * width + 0.5);
            m_out << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                  << std::setw(3) << static_cast<int>(fraction * 100 + 0.5) << "% " << what << "   "
                  << std::flush;
            m_drawn = true;
        },
        &interruptFlag());
}

void TerminalProgress::finish() {
    if (m_drawn) m_out << "\n";
    m_drawn = false;
}

}  // namespace attnscope::app
