#pragma once
// Process-wide LibTorch settings.

namespace attnscope::capture {

/// What every entry point (CLI, GUI, benchmarks) calls once before its first tensor: sets
/// LibTorch's intra-op threads (configureThreads) and installs the CPU allocator
/// (configureAllocator). Returns the thread count used.
int configureRuntime(int requestedThreads = 0);

/// Sets LibTorch's intra-op threads: `requested` if > 0, else $ATTNSCOPE_THREADS if set, else the
/// number of cores (LibTorch starts with one thread on our machines). Returns the count used.
int configureThreads(int requested = 0);

/// Makes a ReusingCpuAllocator the CPU allocator of every tensor allocated from now on
/// (blocks of 1 MiB and more; up to 1 GiB of freed blocks kept, or a sixteenth of the memory if
/// that is less); idempotent. Without it, a forward pays page faults for every multi-MB
/// temporary of every layer (glibc returns them to the system), or, with glibc's mmap threshold
/// raised, keeps them in a fragmented heap. Not installed under AddressSanitizer, whose checks of
/// tensor memory need the C allocator.
void configureAllocator();

/// Gives the blocks the installed ReusingCpuAllocator keeps for reuse back to the system; a no-op
/// when another allocator is installed. loadModel() calls it before it compares a model's size
/// with the memory available, so that freed activations do not count against a new model.
void releaseCachedMemory();

}  // namespace attnscope::capture
