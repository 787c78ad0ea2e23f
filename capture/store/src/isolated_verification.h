#pragma once
#include <filesystem>

namespace attnscope::store::detail {

/// Opens `path` with a trusted reader in a forked child and reads every run's and result's
/// metadata there. Throws StoreError if the child crashes or hangs (HDF5 itself failing on a
/// corrupted file); returns normally when the child succeeded or reported an ordinary
/// StoreError, which the caller then reproduces in-process with its clear message.
void verifyInChildProcess(const std::filesystem::path& path);

}  // namespace attnscope::store::detail
