#pragma once
// Process-wide LibTorch settings.

namespace attnscope::capture {

/// Sets LibTorch's intra-op threads: `requested` if > 0, else $ATTNSCOPE_THREADS if set, else the
/// number of cores (LibTorch starts with one thread on our machines). Returns the count used.
int configureThreads(int requested = 0);

/// Makes the C allocator return freed blocks of 1 MiB and more to the system at once. glibc
/// otherwise raises its mmap threshold as large blocks are freed, after which the multi-MB
/// temporaries of blockwise attention stay in a fragmented heap and peak memory grows with T²
/// instead of T. The price is more page faults (about 30% on training steps), so long-context
/// captures turn it on (app::runPromptToFile); it stays on for the process. No-op without glibc.
void configureAllocator();

}  // namespace attnscope::capture
