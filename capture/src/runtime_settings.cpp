#include "attnscope/capture/runtime_settings.h"

#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>

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
        // Leaked: tensors may outlive every static object.
        static auto* allocator =
            new ReusingCpuAllocator(std::size_t{1} << 20, std::size_t{1} << 30);
        c10::SetCPUAllocator(allocator, /*priority=*/1);
    });
#endif
}

}  // namespace attnscope::capture
