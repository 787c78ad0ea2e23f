// The block-reusing CPU allocator: size classes, reuse, the cache limit and its eviction order,
// LibTorch's raw allocation path, threads, and the installed allocator under a real forward.
#include "attnscope/capture/reusing_cpu_allocator.h"

#include <ATen/ATen.h>
#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/runtime_settings.h"
#include "attnscope/capture/transformer_model.h"
#include "demo_model_dir.h"

namespace attnscope::capture {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

TEST(ReusingCpuAllocator, SizeClassesCoverTheRequestWithinASixteenth) {
    for (std::size_t bytes = kMiB - 3; bytes < 70 * kMiB; bytes += 4093 * 37) {
        const std::size_t c = ReusingCpuAllocator::sizeClass(bytes);
        std::size_t pow2 = 1;
        while (pow2 < bytes)
            pow2 *= 2;
        EXPECT_GE(c, bytes);
        EXPECT_EQ(c % (64 * 1024), 0u) << bytes;
        EXPECT_LT(c - bytes, std::max<std::size_t>(64 * 1024, pow2 / 16)) << bytes;
    }
    EXPECT_EQ(ReusingCpuAllocator::sizeClass(kMiB), kMiB);
    EXPECT_EQ(ReusingCpuAllocator::sizeClass(kMiB + 1), kMiB + 128 * 1024);
}

TEST(ReusingCpuAllocator, AFreedBlockServesTheNextRequestOfItsClass) {
    ReusingCpuAllocator allocator(kMiB, 64 * kMiB);
    void* first = nullptr;
    {
        c10::DataPtr a = allocator.allocate(3 * kMiB);
        first = a.get();
        std::memset(first, 1, 3 * kMiB);  // writable over the whole request
        EXPECT_EQ(allocator.stats().liveBytes, 3 * kMiB);
    }
    EXPECT_EQ(allocator.stats().cachedBytes, 3 * kMiB);
    c10::DataPtr b = allocator.allocate(3 * kMiB - 100);  // the same class
    EXPECT_EQ(b.get(), first);
    c10::DataPtr c = allocator.allocate(3 * kMiB);  // the cached one is taken: a new block
    EXPECT_NE(c.get(), first);
    const auto stats = allocator.stats();
    EXPECT_EQ(stats.maps, 2);
    EXPECT_EQ(stats.reuses, 1);
    EXPECT_EQ(stats.cachedBytes, 0u);
    EXPECT_EQ(stats.liveBytes, 6 * kMiB);
}

TEST(ReusingCpuAllocator, SmallRequestsGoToLibTorchsAllocator) {
    ReusingCpuAllocator allocator(kMiB, 64 * kMiB);
    {
        c10::DataPtr small = allocator.allocate(kMiB - 1);
        ASSERT_NE(small.get(), nullptr);
        std::memset(small.get(), 0, kMiB - 1);
    }
    const auto stats = allocator.stats();
    EXPECT_EQ(stats.maps, 0);
    EXPECT_EQ(stats.cachedBytes, 0u);
}

TEST(ReusingCpuAllocator, KeepsAtMostItsLimitAndEvictsTheLeastRecentlyFreed) {
    ReusingCpuAllocator allocator(kMiB, 4 * kMiB);
    c10::DataPtr a = allocator.allocate(2 * kMiB), b = allocator.allocate(2 * kMiB),
                 c = allocator.allocate(2 * kMiB);
    void *pa = a.get(), *pb = b.get(), *pc = c.get();
    a.clear();
    b.clear();
    c.clear();  // a goes back to the system to make room for c
    EXPECT_EQ(allocator.stats().cachedBytes, 4 * kMiB);
    c10::DataPtr x = allocator.allocate(2 * kMiB), y = allocator.allocate(2 * kMiB);
    EXPECT_TRUE((x.get() == pb && y.get() == pc) || (x.get() == pc && y.get() == pb));
    EXPECT_NE(x.get(), pa);
    EXPECT_EQ(allocator.stats().reuses, 2);

    // A block larger than the whole limit is never kept.
    { c10::DataPtr huge = allocator.allocate(5 * kMiB); }
    EXPECT_EQ(allocator.stats().cachedBytes, 0u);
    allocator.releaseCached();
}

TEST(ReusingCpuAllocator, RawAllocationsOfBothKindsRoundTrip) {
    ReusingCpuAllocator allocator(kMiB, 8 * kMiB);
    void* large = allocator.raw_allocate(2 * kMiB);
    void* small = allocator.raw_allocate(1000);
    std::memset(large, 3, 2 * kMiB);
    std::memset(small, 3, 1000);
    allocator.raw_deallocate(small);  // back to LibTorch's allocator
    allocator.raw_deallocate(large);  // into the cache
    EXPECT_EQ(allocator.stats().cachedBytes, 2 * kMiB);
    EXPECT_EQ(allocator.stats().liveBytes, 0u);
}

TEST(ReusingCpuAllocator, ThreadsAllocatingAtOnceGetDistinctBlocks) {
    ReusingCpuAllocator allocator(kMiB, 16 * kMiB);
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const std::size_t bytes = (1 + (i + t) % 3) * kMiB;
                c10::DataPtr p = allocator.allocate(bytes);
                auto* data = static_cast<unsigned char*>(p.get());
                std::memset(data, t + 1, bytes);
                std::this_thread::yield();
                // Another thread writing into this block would show here.
                if (data[0] != t + 1 || data[bytes - 1] != t + 1) ++failures[t];
            }
        });
    for (auto& th : threads)
        th.join();
    for (int t = 0; t < 4; ++t)
        EXPECT_EQ(failures[t], 0) << "thread " << t;
    const auto stats = allocator.stats();
    EXPECT_EQ(stats.liveBytes, 0u);
    EXPECT_LE(stats.cachedBytes, 16 * kMiB);
    EXPECT_GT(stats.reuses, 0);
}

#if !defined(__SANITIZE_ADDRESS__)
TEST(ReusingCpuAllocator, InstalledRepeatedForwardsMapNoNewBlocksAndKeepTheirValues) {
    configureAllocator();
    const auto* allocator = dynamic_cast<ReusingCpuAllocator*>(c10::GetCPUAllocator());
    ASSERT_NE(allocator, nullptr) << "configureAllocator() did not install the allocator";
    at::NoGradGuard noGrad;
    // Activations of 1,024 tokens × 512 floats (2 MiB) and the MLP's 4 × that go through it.
    auto model = std::make_shared<TransformerModel>(
        parseModelConfig(R"({"architectures":["LlamaForCausalLM"],"vocab_size":64,)"
                         R"("hidden_size":512,"intermediate_size":1024,"num_hidden_layers":3,)"
                         R"("num_attention_heads":4,"num_key_value_heads":2,)"
                         R"("max_position_embeddings":2048})",
                         "test"),
        at::TensorOptions().dtype(at::kFloat));
    for (auto& p : model->parameters())
        p.normal_(0.0, 0.05);
    const at::Tensor ids = at::randint(0, 64, {1, 1024}, at::TensorOptions().dtype(at::kLong));
    ForwardOptions all;
    all.allLogits = true;
    const at::Tensor first = model->forward(ids, all).clone();
    const auto after = allocator->stats();
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(at::equal(model->forward(ids, all), first)) << "forward " << i;
    const auto later = allocator->stats();
    EXPECT_EQ(later.maps, after.maps);  // every block came from the cache
    EXPECT_GT(later.reuses, after.reuses);
}

TEST(ReusingCpuAllocator, LoadingAModelFirstGivesTheKeptBlocksBack) {
    configureAllocator();
    auto* allocator = dynamic_cast<ReusingCpuAllocator*>(c10::GetCPUAllocator());
    ASSERT_NE(allocator, nullptr);
    { at::Tensor freed = at::ones({4 << 20}); }  // 16 MB, kept after it is freed
    ASSERT_GE(allocator->stats().cachedBytes, std::size_t{16} << 20);
    releaseCachedMemory();
    EXPECT_EQ(allocator->stats().cachedBytes, 0u);

    { at::Tensor freed = at::ones({4 << 20}); }
    ASSERT_GE(allocator->stats().cachedBytes, std::size_t{16} << 20);
    const auto dir = test::demoModelDir();
    ATTNSCOPE_REQUIRE_FIXTURE(dir);
    auto model = loadModel(dir);  // checks the memory available, so it releases first
    EXPECT_LT(allocator->stats().cachedBytes, std::size_t{16} << 20);
}
#endif

}  // namespace
}  // namespace attnscope::capture
