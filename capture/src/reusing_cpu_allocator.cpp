#include "attnscope/capture/reusing_cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <unordered_map>

namespace attnscope::capture {

namespace {

struct LiveBlock {
    ReusingCpuAllocator* owner;
    std::size_t bytes;
};

// Blocks in use, across allocators: a deleter gets only the pointer. Leaked on purpose, as tensors
// may be freed during static destruction.
std::mutex& liveMutex() {
    static auto* m = new std::mutex;
    return *m;
}
std::unordered_map<void*, LiveBlock>& liveBlocks() {
    static auto* m = new std::unordered_map<void*, LiveBlock>;
    return *m;
}

}  // namespace

ReusingCpuAllocator::ReusingCpuAllocator(std::size_t minBytes, std::size_t cacheBytes)
    : m_minBytes(minBytes), m_cacheBytes(cacheBytes) {}

ReusingCpuAllocator::~ReusingCpuAllocator() {
    releaseCached();
}

std::size_t ReusingCpuAllocator::sizeClass(std::size_t bytes) {
    std::size_t pow2 = 1;
    while (pow2 < bytes)
        pow2 <<= 1;
    const std::size_t step = std::max<std::size_t>(std::size_t{64} << 10, pow2 / 16);
    return (bytes + step - 1) / step * step;
}

c10::DataPtr ReusingCpuAllocator::allocate(std::size_t bytes) const {
    if (bytes < m_minBytes) return c10::GetDefaultCPUAllocator()->allocate(bytes);
    const std::size_t mapped = sizeClass(bytes);
    void* ptr = nullptr;
    {
        // Mapping under the lock is cheap (the pages are faulted in later, outside it), and
        // requests this large are few.
        std::lock_guard<std::mutex> lock(m_mutex);
        // The most recently freed block of the class: its pages may still be in the CPU's caches.
        if (auto [first, last] = m_cache.equal_range(mapped); first != last) {
            const auto it = std::prev(last);
            ptr = it->second.ptr;
            m_cache.erase(it);
            m_stats.cachedBytes -= mapped;
            ++m_stats.reuses;
        } else {
            auto map = [&] {
                return ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
            };
            ptr = map();
            if (ptr == MAP_FAILED && !m_cache.empty()) {  // the cache is what can give way
                while (!m_cache.empty())
                    evictOldestLocked();
                ptr = map();
            }
            TORCH_CHECK(ptr != MAP_FAILED, "not enough memory: cannot allocate ", bytes, " bytes (",
                        std::strerror(errno), ")");
            ++m_stats.maps;
        }
        m_stats.liveBytes += mapped;
    }
    {
        std::lock_guard<std::mutex> lock(liveMutex());
        liveBlocks().emplace(ptr, LiveBlock{const_cast<ReusingCpuAllocator*>(this), mapped});
    }
    return {ptr, ptr, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
}

c10::DeleterFnPtr ReusingCpuAllocator::raw_deleter() const {
    return &deleteBlock;
}

void ReusingCpuAllocator::deleteBlock(void* ptr) {
    LiveBlock block{nullptr, 0};
    {
        std::lock_guard<std::mutex> lock(liveMutex());
        auto it = liveBlocks().find(ptr);
        if (it != liveBlocks().end()) {
            block = it->second;
            liveBlocks().erase(it);
        }
    }
    if (block.owner)
        block.owner->keep(ptr, block.bytes);
    else
        c10::GetDefaultCPUAllocator()->raw_deleter()(ptr);
}

void ReusingCpuAllocator::keep(void* ptr, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stats.liveBytes -= bytes;
    if (bytes > m_cacheBytes) {
        ::munmap(ptr, bytes);
        return;
    }
    while (m_stats.cachedBytes + bytes > m_cacheBytes)
        evictOldestLocked();
    m_cache.emplace(bytes, Cached{ptr, ++m_clock});
    m_stats.cachedBytes += bytes;
}

void ReusingCpuAllocator::evictOldestLocked() const {
    auto oldest = m_cache.begin();
    for (auto it = m_cache.begin(); it != m_cache.end(); ++it)
        if (it->second.freedAt < oldest->second.freedAt) oldest = it;
    ::munmap(oldest->second.ptr, oldest->first);
    m_stats.cachedBytes -= oldest->first;
    m_cache.erase(oldest);
}

ReusingCpuAllocator::Stats ReusingCpuAllocator::stats() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_stats;
}

void ReusingCpuAllocator::releaseCached() {
    std::lock_guard<std::mutex> lock(m_mutex);
    while (!m_cache.empty())
        evictOldestLocked();
}

}  // namespace attnscope::capture
