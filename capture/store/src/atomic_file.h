#pragma once
// Write-to-temporary-then-rename: what keeps a killed writer from leaving a partial file
// under the final name.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "attnscope/store/capture_writer.h"

namespace attnscope::store::detail {

/// `.<name>.tmp-<pid>-<n>` beside `finalPath` (same directory, so rename is atomic).
std::filesystem::path temporaryPathFor(const std::filesystem::path& finalPath);

/// Removes temporaries of `finalPath` left by writer processes that no longer exist
/// (killed mid-write) and returns them. Temporaries of live processes are left alone.
std::vector<StaleTemporary> removeStaleTemporaries(const std::filesystem::path& finalPath);

/// Copies `from` to the new file `to`: a reflink (O(1)) where the filesystem can, a plain
/// copy otherwise.
void copyFile(const std::filesystem::path& from, const std::filesystem::path& to);

/// fsyncs `temp`, renames it over `finalPath` and fsyncs the directory, so that after a
/// crash the final name holds either the old file or the complete new one.
void publishFile(const std::filesystem::path& temp, const std::filesystem::path& finalPath);

}  // namespace attnscope::store::detail
