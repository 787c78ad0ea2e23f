#pragma once
// The per-rank commit journal of a batch run (app/core internal).
//
// Why a journal: committing an item by rewriting the whole results file made each commit cost
// O(items so far), O(n^2) for a run. An item is instead appended to an append-only journal
// beside the results file as one record (length, CRC-32, payload) and fdatasync'd: O(item). A
// SIGKILL mid-append leaves at most one torn record at the tail, which the checksum exposes and
// `--resume` drops (that item runs again). The HDF5 results file and its CSV/JSON summaries are
// written once, at the end, through the store's atomic writer, and the journals are then removed.
//
// Layout: the line "attnscope-batch-journal 1\n", then records. A record is a little-endian
// uint32 payload length, a little-endian uint32 CRC-32 (IEEE) of the payload, and the payload:
// JSON, the first record the run's header (experiment, tool version, model fingerprints), each
// later one an item with its tables (values as float32 bit patterns, so that they read back
// bit-exact, NaN included).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "attnscope/app/batch.h"

namespace attnscope::app {

/// The journal of `rank` for the results file `out`: ".OUT.rank-R.journal" beside it.
std::filesystem::path journalPath(const std::filesystem::path& out, int rank);
/// Every rank's journal of `out` present on disk, by name.
std::vector<std::filesystem::path> existingJournals(const std::filesystem::path& out);

/// A journal as read back: the header's run record with the committed items in `items`.
struct JournalContents {
    bool hasHeader = false;
    BatchResultsFile run;          ///< experiment, tool version, model fingerprints, items
    std::uintmax_t goodBytes = 0;  ///< the bytes up to the end of the last intact record
    /// Non-empty when bytes after `goodBytes` were dropped: a torn or corrupt tail.
    std::string problem;
};

/// Reads every intact record of `path`. A record cut short or failing its checksum ends the
/// reading; `problem` then says where and why. Throws capture::InputError naming the file when it
/// is not a batch journal at all.
JournalContents readJournal(const std::filesystem::path& path);

/// Appends item records to one rank's journal, each made durable before append() returns.
class JournalWriter {
public:
    /// A fresh journal (replacing any file at `path`) that starts with `plan`'s header.
    static JournalWriter create(const std::filesystem::path& path, const BatchPlan& plan);
    /// Continues `path`, cut back to its `goodBytes` intact bytes first.
    static JournalWriter resume(const std::filesystem::path& path, std::uintmax_t goodBytes);

    JournalWriter(JournalWriter&& other) noexcept;
    JournalWriter& operator=(JournalWriter&&) = delete;
    JournalWriter(const JournalWriter&) = delete;
    ~JournalWriter();

    void append(const ItemRecord& item);

private:
    JournalWriter(std::filesystem::path path, int fd);
    void appendRecord(const std::string& payload);

    std::filesystem::path m_path;
    int m_fd;
};

}  // namespace attnscope::app
