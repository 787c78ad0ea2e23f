#pragma once
// A CPU tensor allocator that keeps freed large blocks for the next request of the same size.

#include <c10/core/Allocator.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

namespace attnscope::capture {

/// Blocks of at least `minBytes` are mapped from the system (mmap) in size classes, and a freed
/// block is kept, up to `cacheBytes` in all, for the next allocation of its class; the least
/// recently freed blocks go back to the system first. Smaller blocks come from LibTorch's default
/// CPU allocator. An allocator must outlive the blocks it handed out.
///
/// Why: a forward allocates the same multi-MB temporaries in every layer (the q/k/v projection,
/// the MLP's hidden activations, the residual stream). glibc hands blocks above its mmap threshold
/// back to the system on free, so each one is faulted in again, a page at a time: at 8,192 tokens
/// a 4-layer forward took 280,000 page faults (10% of its time). Lowering the threshold instead
/// keeps them in a fragmented heap whose peak grows far faster than the live set. Reusing whole
/// blocks of the same class does neither.
class ReusingCpuAllocator final : public c10::Allocator {
public:
    ReusingCpuAllocator(std::size_t minBytes, std::size_t cacheBytes);
    ~ReusingCpuAllocator() override;

    c10::DataPtr allocate(std::size_t bytes) const override;
    c10::DeleterFnPtr raw_deleter() const override;

    /// The bytes a request of `bytes` maps: a multiple of 64 KiB and of 1/16 of the next power of
    /// two, so that sizes within ~6% share a class.
    static std::size_t sizeClass(std::size_t bytes);

    struct Stats {
        std::size_t cachedBytes = 0;  ///< freed blocks kept for reuse
        std::size_t liveBytes = 0;    ///< mapped blocks in use
        std::int64_t maps = 0;        ///< blocks mapped from the system so far
        std::int64_t reuses = 0;      ///< requests served from the cache so far
    };
    Stats stats() const;
    /// Returns every cached block to the system.
    void releaseCached();

private:
    struct Cached {
        void* ptr;
        std::uint64_t freedAt;
    };
    void keep(void* ptr, std::size_t bytes);
    void evictOldestLocked() const;
    // The deleter of every block: finds the block's allocator (blocks of LibTorch's allocator,
    // which raw_deallocate() also sends here, go back to it).
    static void deleteBlock(void* ptr);

    std::size_t m_minBytes, m_cacheBytes;
    mutable std::mutex m_mutex;
    mutable std::multimap<std::size_t, Cached> m_cache;  // mapped bytes -> free block
    mutable Stats m_stats;
    mutable std::uint64_t m_clock = 0;
};

}  // namespace attnscope::capture
