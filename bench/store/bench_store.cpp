// Prints: write throughput of a GPT-2-small-shaped capture (12 layers x [12, 1024, 1024]
// float32 patterns) in float32/float16, with and without compression; and the time to read
// one head's map, and one 256 x 256 tile, from a capture over 2 GB, with the page cache warm
// and cold. Usage: bench_store [scratch dir, default /tmp]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"

namespace {

namespace fs = std::filesystem;
using namespace attnscope::store;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Uniform floats in [0, 1) from a xorshift generator: fast enough not to dominate the bench.
std::vector<float> randomFloats(size_t count, uint64_t seed) {
    std::vector<float> values(count);
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (float& v : values) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v = static_cast<float>(state >> 40) * (1.0f / 16777216.0f);
    }
    return values;
}

RunInfo benchRun(int64_t tokens) {
    RunInfo run;
    run.prompt = "benchmark";
    for (int64_t t = 0; t < tokens; ++t) {
        run.inputIds.push_back(t);
        run.tokens.push_back("t" + std::to_string(t));
        run.offsets.push_back({t, t + 1});
    }
    return run;
}

ModelInfo benchModel() {
    return {"GPT2LMHeadModel", "{}", "float32", "bench"};
}

struct WriteFigures {
    double writeSeconds;
    double commitSeconds;
    uintmax_t fileBytes;
};

// One layer's buffer is reused for every layer: peak memory is one layer, as when streaming
// from a forward pass, and every chunk is still compressed on its own.
WriteFigures writeCapture(const fs::path& path, WriterOptions options, int layers,
                          const std::vector<int64_t>& shape, const std::vector<float>& layer) {
    const auto start = Clock::now();
    CaptureWriter writer = CaptureWriter::create(path, options, benchModel());
    writer.beginRun(benchRun(shape[1]));
    for (int l = 0; l < layers; ++l)
        writer.writeHook(patternHookName(l), {layer.data(), shape});
    const double writeSeconds = secondsSince(start);
    const auto commitStart = Clock::now();
    writer.commit();
    return {writeSeconds, secondsSince(commitStart), fs::file_size(path)};
}

void dropFromPageCache(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void benchWrites(const fs::path& dir) {
    const int layers = 12;
    const std::vector<int64_t> shape = {12, 1024, 1024};
    const std::vector<float> layer = randomFloats(12 * 1024 * 1024, 1);
    const double inputMB = layers * layer.size() * 4.0 / 1e6;
    std::printf(
        "Write: GPT-2 small patterns at 1024 tokens, %d x [12, 1024, 1024] float32 random "
        "= %.0f MB of input\n",
        layers, inputMB);
    std::printf("  %-22s %12s %16s %12s %10s\n", "storage", "write MB/s", "+commit MB/s", "file MB",
                "commit s");
    const struct {
        const char* name;
        WriterOptions options;
    } configs[] = {{"float32", {StorageType::Float32, false, 4}},
                   {"float16", {StorageType::Float16, false, 4}},
                   {"float32 shuffle+deflate4", {StorageType::Float32, true, 4}},
                   {"float16 shuffle+deflate4", {StorageType::Float16, true, 4}}};
    for (const auto& config : configs) {
        const fs::path path = dir / "attnscope-bench-write.h5";
        const WriteFigures f = writeCapture(path, config.options, layers, shape, layer);
        std::printf("  %-22s %12.0f %16.0f %12.0f %10.2f\n", config.name, inputMB / f.writeSeconds,
                    inputMB / (f.writeSeconds + f.commitSeconds), f.fileBytes / 1e6,
                    f.commitSeconds);
        if (config.options.storage == StorageType::Float32 && !config.options.compress) {
            // What crash-safe appending costs: the file is copied before anything is added.
            const auto start = Clock::now();
            CaptureWriter::append(path, {}).commit();
            std::printf(
                "    (opening an append session on this %.0f MB file and committing it: "
                "%.2f s)\n",
                f.fileBytes / 1e6, secondsSince(start));
        }
        fs::remove(path);
    }
}

void benchLargeRead(const fs::path& dir) {
    const int layers = 24;
    const int64_t heads = 16, tokens = 1536;
    const std::vector<int64_t> shape = {heads, tokens, tokens};
    const fs::path path = dir / "attnscope-bench-large.h5";
    {
        const std::vector<float> layer = randomFloats(heads * tokens * tokens, 2);
        const WriteFigures f = writeCapture(path, {}, layers, shape, layer);
        std::printf(
            "Large file: %d x [16, 1536, 1536] float32 = %.2f GB, written at %.0f MB/s "
            "(%.0f MB/s with commit)\n",
            layers, f.fileBytes / 1e9, f.fileBytes / 1e6 / f.writeSeconds,
            f.fileBytes / 1e6 / (f.writeSeconds + f.commitSeconds));
    }
    {
        // The forked verification every untrusted open pays (once per file opened), against an
        // open of the same file that trusts it.
        std::vector<double> verified, trusted;
        for (int i = 0; i < 9; ++i) {
            auto start = Clock::now();
            CaptureReader a(path, CaptureReader::Trust::Verify);
            verified.push_back(secondsSince(start) * 1e3);
            start = Clock::now();
            CaptureReader b(path, CaptureReader::Trust::Trusted);
            trusted.push_back(secondsSince(start) * 1e3);
        }
        std::printf(
            "  open with verification %.2f ms, trusted open %.2f ms: the check costs %.2f ms "
            "per file opened (medians of 9, warm page cache)\n",
            median(verified), median(trusted), median(verified) - median(trusted));
    }
    std::mt19937 pick(3);
    std::uniform_int_distribution<int> layerOf(0, layers - 1), headOf(0, int(heads) - 1);
    for (bool cold : {false, true}) {
        std::vector<double> openMs, headMs, tileMs;
        for (int i = 0; i < 15; ++i) {
            const int l = layerOf(pick), h = headOf(pick);
            if (cold) dropFromPageCache(path);
            auto start = Clock::now();
            CaptureReader reader(path);
            openMs.push_back(secondsSince(start) * 1e3);
            start = Clock::now();
            const std::vector<float> map = reader.readHeadPattern(0, l, h);
            headMs.push_back(secondsSince(start) * 1e3);
            if (cold) dropFromPageCache(path);
            start = Clock::now();
            const std::vector<float> tile =
                reader.readPatternTile(0, l, (h + 1) % heads, 512, 768, 256, 512);
            tileMs.push_back(secondsSince(start) * 1e3);
            if (map.size() != size_t(tokens * tokens) || tile.size() != 256u * 256u) std::abort();
        }
        std::printf(
            "  %s page cache: open %.2f ms, one head [1536 x 1536] %.2f ms (max %.2f), "
            "one 256x256 tile %.2f ms (medians of 15)\n",
            cold ? "cold" : "warm", median(openMs), median(headMs),
            *std::max_element(headMs.begin(), headMs.end()), median(tileMs));
    }
    fs::remove(path);
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir = argc > 1 ? argv[1] : "/tmp";
    try {
        benchWrites(dir);
        benchLargeRead(dir);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_store: %s\n", error.what());
        return 1;
    }
    return 0;
}
