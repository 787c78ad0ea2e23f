#include "batch_progress.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "terminal_progress.h"

namespace attnscope::app {
namespace {

std::string hoursMinutesSeconds(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const long s = std::lround(seconds);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    return buffer;
}

}  // namespace

BatchProgress::BatchProgress(BatchProgressMode mode, std::ostream& out, std::ostream& err, int rank)
    : m_mode(mode), m_out(out), m_err(err), m_rank(rank) {}

double BatchProgress::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

capture::Progress BatchProgress::progress() {
    return capture::Progress(
        [this](double fraction, const std::string& what) {
            if (m_mode == BatchProgressMode::Bar) drawBar(fraction, what);
        },
        &interruptFlag());
}

void BatchProgress::drawBar(double fraction, const std::string& what) {
    const double t = elapsed();
    const double rate = t > 0 ? m_done / t : 0.0;
    const double eta = rate > 0 ? (m_todo - m_done) / rate : NAN;
    const int width = 24, filled = static_cast<int>(fraction * width + 0.5);
    char stats[96];
    std::snprintf(stats, sizeof stats, "%3d%% %d/%d items  %.2f items/s  ETA %s",
                  static_cast<int>(fraction * 100 + 0.5), m_done, m_todo, rate,
                  hoursMinutesSeconds(eta).c_str());
    m_err << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << stats
          << "  " << what.substr(0, 40) << "\033[K" << std::flush;
    m_drawn = true;
}

void BatchProgress::started(const BatchOutcome& counts, int todo, int ranks) {
    m_todo = todo;
    m_start = std::chrono::steady_clock::now();
    if (m_mode != BatchProgressMode::Json) return;
    m_out << nlohmann::json{{"event", "start"},
                            {"rank", m_rank},
                            {"ranks", ranks},
                            {"items", counts.total},
                            {"resumed", counts.resumed},
                            {"todo", todo}}
                 .dump()
          << std::endl;
}

void BatchProgress::itemFinished(const ItemRecord& item, int done, int todo) {
    m_done = done;
    m_todo = todo;
    const double t = elapsed();
    const double rate = t > 0 ? done / t : 0.0;
    if (m_mode == BatchProgressMode::Bar) {
        drawBar(todo > 0 ? static_cast<double>(done) / todo : 1.0, item.key + " " + item.status);
        if (item.status != "ok") {
            m_err << "\n" << item.key << " failed: " << item.error << "\n";
            m_drawn = false;
        }
    } else if (m_mode == BatchProgressMode::Json) {
        nlohmann::json j{{"event", "item"}, {"rank", m_rank},        {"index", item.index},
                         {"key", item.key}, {"status", item.status}, {"done", done},
                         {"todo", todo},    {"elapsed_s", t},        {"items_per_s", rate}};
        if (!item.error.empty()) j["error"] = item.error;
        m_out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    }
}

void BatchProgress::finished(const BatchOutcome& outcome, const std::string& out) {
    if (m_drawn) m_err << "\n";
    m_drawn = false;
    if (m_rank != 0) return;
    if (m_mode == BatchProgressMode::Json) {
        m_out << nlohmann::json{{"event", "done"},
                                {"out", out},
                                {"items", outcome.total},
                                {"resumed", outcome.resumed},
                                {"ran", outcome.ran},
                                {"failed", outcome.failed},
                                {"interrupted", outcome.interrupted},
                                {"elapsed_s", elapsed()}}
                     .dump()
              << std::endl;
    } else if (m_mode == BatchProgressMode::Bar) {
        m_err << (outcome.interrupted ? "interrupted: " : "") << outcome.ran << " items run, "
              << outcome.resumed << " resumed, " << outcome.failed << " failed of " << outcome.total
              << " -> " << out << "\n";
    }
}

}  // namespace attnscope::app
