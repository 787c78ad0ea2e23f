#include "attnscope/capture/runtime_settings.h"

#include <ATen/Parallel.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <string>
#include <thread>

namespace attnscope::capture {

int configureThreads(int requested) {
    int threads = requested;
    if (threads <= 0) {
        if (const char* env = std::getenv("ATTNSCOPE_THREADS")) threads = std::atoi(env);
    }
    if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
    at::set_num_threads(threads);
    return threads;
}

void configureAllocator() {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

}  // namespace attnscope::capture
