#pragma once
// The one progress-and-cancel channel of every long operation: loading, runs, analyses,
// ablation curves, sessions. Front ends map it to their own display (the CLI's terminal bar
// and SIGINT, the GUI's status bar and Esc).
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace attnscope::capture {

/// Thrown by Progress::check() once the operation has been asked to stop.
struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("cancelled") {}
};

/// A progress sink (fraction in [0, 1] and a message) plus a cancel token. Both parts are
/// optional; a default Progress reports nowhere and is never cancelled. Cheap to copy. The
/// token is owned by the caller and must outlive the operation; the sink is called on the
/// thread doing the work.
class Progress {
public:
    using Report = std::function<void(double fraction, const std::string& message)>;

    Progress() = default;
    explicit Progress(Report report, const std::atomic<bool>* cancel = nullptr)
        : m_report(std::move(report)), m_cancel(cancel) {}

    void report(double fraction, const std::string& message = {}) const {
        if (m_report) m_report(m_from + fraction * (m_to - m_from), message);
    }
    bool cancelled() const { return m_cancel && m_cancel->load(); }
    /// Throws Cancelled when the operation was asked to stop.
    void check() const {
        if (cancelled()) throw Cancelled{};
    }
    /// The token, for APIs that poll it directly (may be null).
    const std::atomic<bool>* token() const { return m_cancel; }
    /// The same channel with [0, 1] mapped onto [from, to] of this one (a step of a longer job).
    Progress part(double from, double to) const {
        Progress p = *this;
        p.m_from = m_from + from * (m_to - m_from);
        p.m_to = m_from + to * (m_to - m_from);
        return p;
    }

private:
    Report m_report;
    const std::atomic<bool>* m_cancel = nullptr;
    double m_from = 0.0;
    double m_to = 1.0;
};

}  // namespace attnscope::capture
