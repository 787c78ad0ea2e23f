#pragma once
// Group and attribute names of the capture layout, and the checks both the writer (before
// appending) and the reader (on open) make. See docs/capture-format.md.
#include <hdf5.h>

#include <cstdint>
#include <string>

namespace attnscope::store::detail {

inline constexpr const char* kRunsGroup = "runs";
inline constexpr const char* kModelGroup = "model";
inline constexpr const char* kHooksGroup = "hooks";
inline constexpr const char* kResultsGroup = "results";
inline constexpr const char* kInputIds = "input_ids";
inline constexpr const char* kTokens = "tokens";
inline constexpr const char* kOffsets = "offsets";
inline constexpr const char* kScores = "scores";

/// Upper bound on tokens per run the reader accepts, so that a corrupt file cannot make it
/// allocate without limit while reading run metadata.
inline constexpr size_t kMaxRunTokens = size_t{1} << 24;

/// Upper bound on the values of one [layer, head] score table, for the same reason.
inline constexpr size_t kMaxScoreValues = size_t{1} << 24;

/// Checks the root attributes `format` and `format_version`; StoreError otherwise.
void checkFormat(hid_t file);
/// Number of runs under /runs, which must be groups named 0, 1, ..., n-1.
int64_t countRuns(hid_t runsGroup);
/// StoreError unless `name` can be one HDF5 link name (non-empty, no '/', not ".").
void checkLinkName(const std::string& name, const std::string& what);
/// A group with link creation order tracked, so listings come back in writing order.
hid_t createOrderedGroup(hid_t parent, const std::string& name);

}  // namespace attnscope::store::detail
