#pragma once
// Process-wide LibTorch settings.

namespace attnscope::capture {

/// Sets LibTorch's intra-op threads: `requested` if > 0, else $ATTNSCOPE_THREADS if set, else the
/// number of cores (LibTorch starts with one thread on our machines). Returns the count used.
int configureThreads(int requested = 0);

}  // namespace attnscope::capture
