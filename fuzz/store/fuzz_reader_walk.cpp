#include "fuzz_reader_walk.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope::store::fuzz {

namespace {

// Reads only arrays this small, so the fuzzer explores parsing, not memory limits.
constexpr int64_t kMaxElements = 1 << 16;

int64_t product(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t extent : shape) {
        if (extent < 0 || (extent > 0 && n > kMaxElements / extent)) return kMaxElements + 1;
        n *= extent;
    }
    return n;
}

template <class Action>
void tolerate(Action action) {
    try {
        action();
    } catch (const StoreError&) {
    }
}

}  // namespace

void touchEverything(const CaptureReader& reader) {
    tolerate([&] { reader.model(); });
    for (int64_t run = 0; run < std::min<int64_t>(reader.runCount(), 8); ++run) {
        tolerate([&] { reader.run(run); });
        std::vector<std::string> hooks;
        tolerate([&] { hooks = reader.hooks(run); });
        for (const std::string& hook : hooks) {
            tolerate([&] {
                const std::vector<int64_t> shape = reader.shape(run, hook);
                if (product(shape) > kMaxElements) return;
                reader.readHook(run, hook);
                if (!shape.empty())
                    reader.readSlab(run, hook, std::vector<int64_t>(shape.size(), 0),
                                    std::vector<int64_t>(shape.size(), 1));
            });
        }
        for (int layer = 0; layer < 4; ++layer) {
            tolerate([&] {
                if (!reader.hasPattern(run, layer)) return;
                const std::vector<int64_t> shape = reader.patternShape(run, layer);
                if (product(shape) > kMaxElements) return;
                reader.readHeadPattern(run, layer, 0);
                reader.readPatternTile(run, layer, int(shape[0]) - 1, shape[1] / 2, shape[1], 0,
                                       shape[2] / 2);
            });
        }
    }
    std::vector<std::string> metrics;
    tolerate([&] { metrics = reader.resultMetrics(); });
    for (const std::string& metric : metrics) {
        std::vector<std::string> keys;
        tolerate([&] { keys = reader.resultKeys(metric); });
        for (const std::string& key : keys) {
            tolerate([&] { reader.readScores(metric, key); });
            tolerate([&] { reader.scoreParams(metric, key); });
        }
    }
    std::vector<std::string> circuits;
    tolerate([&] { circuits = reader.circuitNames(); });
    for (const std::string& circuit : circuits)
        tolerate([&] { reader.readCircuit(circuit); });
}

void openAndWalk(const std::filesystem::path& path) {
    tolerate([&] { touchEverything(CaptureReader(path)); });
}

}  // namespace attnscope::store::fuzz
