#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/store/capture_types.h"
#include "attnscope/store/store_error.h"

namespace attnscope::store {

/// Read-only, lazy access to a capture file: every read touches only the datasets and the
/// part of them it returns. Throws StoreError naming the file on any malformed content.
/// Not safe to share between threads; open one reader per thread.
class CaptureReader {
public:
    /// How much a file is trusted before this process lets the HDF5 library parse it.
    enum class Trust {
        /// Walk all metadata first in a short-lived child process: HDF5 1.10 can crash on
        /// deliberately corrupted files, and a crash there becomes a StoreError here.
        Verify,
        /// Files this process (or a trusted peer) just wrote.
        Trusted
    };
    /// Opens `path` and checks its `format` and `format_version` and the top-level layout.
    explicit CaptureReader(const std::filesystem::path& path, Trust trust = Trust::Verify);
    CaptureReader(CaptureReader&&) noexcept;
    CaptureReader& operator=(CaptureReader&&) noexcept;
    CaptureReader(const CaptureReader&) = delete;
    CaptureReader& operator=(const CaptureReader&) = delete;
    ~CaptureReader();

    const std::filesystem::path& path() const;
    int64_t runCount() const;
    ModelInfo model() const;
    /// Metadata of run i: prompt, tokens, offsets, spec, interventions, generation step.
    RunInfo run(int64_t i) const;

    /// Hook datasets of a run, in the order they were written.
    std::vector<std::string> hooks(int64_t run) const;
    bool hasHook(int64_t run, const std::string& hook) const;
    std::vector<int64_t> shape(int64_t run, const std::string& hook) const;
    /// The whole dataset as float32, row-major.
    std::vector<float> readHook(int64_t run, const std::string& hook) const;
    /// The box [start, start + count) of a dataset as float32, row-major.
    std::vector<float> readSlab(int64_t run, const std::string& hook,
                                const std::vector<int64_t>& start,
                                const std::vector<int64_t>& count) const;

    /// One head's attention map [query, key], read directly or rebuilt from q, k and lse.
    std::vector<float> readHeadPattern(int64_t run, int layer, int head) const;
    /// Rows [q0, q1) and columns [k0, k1) of one head's map, row-major [q1-q0, k1-k0].
    std::vector<float> readPatternTile(int64_t run, int layer, int head, int64_t q0, int64_t q1,
                                       int64_t k0, int64_t k1) const;
    /// Whether layer's pattern is stored directly or can be rebuilt from q, k and lse.
    bool hasPattern(int64_t run, int layer) const;
    /// [head, query, key] extents of a layer's pattern, direct or reconstructible.
    std::vector<int64_t> patternShape(int64_t run, int layer) const;

    /// The root string attribute `name` (CaptureWriter::setRootText), or nullopt when absent.
    std::optional<std::string> rootText(const std::string& name) const;

    /// Names of the circuits under `/results/circuits`, in writing order.
    std::vector<std::string> circuitNames() const;
    /// A circuit's edge table, its columns checked for equal lengths, node indices within the
    /// declared graph shape and ports among q, k, v and '-'.
    CircuitRecord readCircuit(const std::string& name) const;

    /// Metric names under `/results` (empty when the file has none; `circuits` is not one).
    std::vector<std::string> resultMetrics() const;
    /// Run ids or names that have a score table for `metric`.
    std::vector<std::string> resultKeys(const std::string& metric) const;
    ScoreTable readScores(const std::string& metric, const std::string& key) const;
    /// The `params` JSON string stored with a score table.
    std::string scoreParams(const std::string& metric, const std::string& key) const;

private:
    struct Impl;
    /// The state; StoreError when this reader was moved from.
    const Impl& impl() const;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace attnscope::store
