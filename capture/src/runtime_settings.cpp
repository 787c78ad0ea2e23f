#include "attnscope/capture/runtime_settings.h"

#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "attnscope/capture/reusing_cpu_allocator.h"

namespace attnscope::capture {

int configureRuntime(int requestedThreads) {
    configureAllocator();
    return configureThreads(requestedThreads);
}

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
#if !defined(__SANITIZE_ADDRESS__)
    static std::once_flag once;
    std::call_once(once, [] {
        // At most 1 GiB, and a sixteenth of the memory on small machines, may sit unused.
        const long pages = ::sysconf(_SC_PHYS_PAGES), pageBytes = ::sysconf(_SC_PAGESIZE);
        std::size_t cacheBytes = std::size_t{1} << 30;
        if (pages > 0 && pageBytes > 0)
            cacheBytes = std::min(cacheBytes, std::size_t(pages) * std::size_t(pageBytes) / 16);
        // Leaked: tensors may outlive every static object.
        static auto* allocator = new ReusingCpuAllocator(std::size_t{1} << 20, cacheBytes);
        c10::SetCPUAllocator(allocator, /*priority=*/1);
    });
#endif
}

void releaseCachedMemory() {
    if (auto* reusing = dynamic_cast<ReusingCpuAllocator*>(c10::GetCPUAllocator()))
        reusing->releaseCached();
}

}  // namespace attnscope::capture
