#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/store/capture_types.h"
#include "attnscope/store/store_error.h"

namespace attnscope::store {

/// A temporary file of a capture writer whose process died before commit().
struct StaleTemporary {
    std::filesystem::path path;
    uintmax_t bytes = 0;
    int64_t pid = 0;  ///< the writer process named in the file name
};

/// Streams a capture into an HDF5 file, hook by hook, so that the caller can free each
/// activation as soon as it is written (peak memory never holds every layer at once).
///
/// Everything is written to a temporary file beside the final one
/// (`.<name>.tmp-<pid>-<n>`); commit() fsyncs it and renames it over the final name, so a
/// process killed mid-write never leaves a partial file under the final name and never
/// damages the file it was appending to. Not thread-safe: one writer per file, used from
/// one thread at a time.
class CaptureWriter {
public:
    /// Starts a new capture that replaces `finalPath` (if any) on commit().
    static CaptureWriter create(const std::filesystem::path& finalPath, WriterOptions options,
                                const ModelInfo& model);
    /// Starts adding runs to the existing capture `existingPath`. The file is copied to the
    /// temporary name first (O(file size), or O(1) where the filesystem supports reflinks);
    /// the original is untouched until commit() renames the copy over it.
    static CaptureWriter append(const std::filesystem::path& existingPath, WriterOptions options);

    CaptureWriter(CaptureWriter&&) noexcept;
    CaptureWriter& operator=(CaptureWriter&&) noexcept;
    CaptureWriter(const CaptureWriter&) = delete;
    CaptureWriter& operator=(const CaptureWriter&) = delete;
    /// Without commit(): discards the temporary file; the final name is left as it was.
    ~CaptureWriter();

    /// Opens a new run (`/runs/{i}`) and makes it current; returns its index i.
    int64_t beginRun(const RunInfo& run);
    /// Writes one hook's activation, batch dimension dropped, into the current run.
    void writeHook(const std::string& hookName, const ArrayView& array);
    /// Writes `blocks.{layer}.attn.hook_pattern_lse` [head, query] (always float32) with the
    /// logit `scale` and `softcap` (0 = none) needed to rebuild patterns from hook_rot_q/k.
    void writeLse(int layer, const ArrayView& lse, float scale, float softcap);
    /// Writes `/results/<metric>/<key>/scores` [layer, head] with a JSON `params` attribute;
    /// replaces an earlier table of the same metric and key.
    void writeScores(const std::string& metric, const std::string& key, const ScoreTable& table,
                     const std::string& paramsJson = "{}");
    /// Writes a circuit's edge table to `/results/circuits/<name>`; replaces an earlier circuit
    /// of the same name. StoreError when the columns differ in length or a port is not q, k,
    /// v or '-'.
    void writeCircuit(const std::string& name, const CircuitRecord& circuit);
    /// Sets the root string attribute `name` (e.g. a session file's `session` JSON), written
    /// with the rest of the file before commit(), so that nothing reopens the file afterwards.
    void setRootText(const std::string& name, const std::string& text);
    /// Flushes, closes, fsyncs and renames the file to its final name. The writer is spent.
    void commit();

    /// Removes the temporaries of `finalPath` (`.<name>.tmp-<pid>-<n>`) whose writer process no
    /// longer exists, e.g. one killed with SIGKILL mid-write, and returns them. create() and
    /// append() do this themselves; call it first to tell the user what was removed.
    static std::vector<StaleTemporary> removeStaleTemporaries(
        const std::filesystem::path& finalPath);

    /// The temporary file being written (for diagnostics and tests).
    const std::filesystem::path& tempPath() const;

private:
    struct Impl;
    explicit CaptureWriter(std::unique_ptr<Impl> impl);
    /// The state; StoreError when this writer was moved from.
    Impl& impl() const;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace attnscope::store
