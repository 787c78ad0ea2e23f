#include "store_test_support.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>

#include "attnscope/store/store_error.h"

namespace attnscope::store::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "attnscope-store-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

std::vector<float> randomValues(size_t count, uint32_t seed, float stddev) {
    std::mt19937 generator(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    std::vector<float> values(count);
    for (float& v : values)
        v = normal(generator);
    return values;
}

size_t elementCount(const std::vector<int64_t>& shape) {
    size_t count = 1;
    for (int64_t extent : shape)
        count *= static_cast<size_t>(extent);
    return count;
}

ModelInfo sampleModel() {
    return {"GPT2LMHeadModel", R"({"n_layer": 2, "n_head": 4, "n_embd": 16})", "float32",
            "sha256:0123abcd"};
}

RunInfo sampleRun(int64_t tokens, const std::string& prompt) {
    RunInfo run;
    run.prompt = prompt;
    int64_t offset = 0;
    for (int64_t t = 0; t < tokens; ++t) {
        run.inputIds.push_back(1000 + 7 * t);
        // Mix ASCII and multi-byte UTF-8 so the string round trip is really tested.
        std::string token =
            (t % 3 == 0) ? " tok" + std::to_string(t) : "\xC3\xA9t\xE2\x82\xAC" + std::to_string(t);
        run.offsets.push_back({offset, offset + static_cast<int64_t>(token.size())});
        offset += static_cast<int64_t>(token.size());
        run.tokens.push_back(token);
    }
    run.captureSpecJson = R"({"hooks": ["blocks.*.attn.hook_pattern"], "dtype": "float32"})";
    run.interventionsJson = R"([{"kind": "ablate", "layer": 1, "head": 2}])";
    return run;
}

float roundToHalf(float value) {
    if (std::isnan(value)) return value;
    const double x = value;
    const double magnitude = std::fabs(x);
    if (magnitude >= 65520.0) return std::copysign(std::numeric_limits<float>::infinity(), value);
    if (magnitude == 0.0) return value;
    // Spacing of halves near x: 2^(e-10) for normal halves, 2^-24 for subnormal ones.
    const int exponent = std::max(static_cast<int>(std::floor(std::log2(magnitude))), -14);
    const double spacing = std::ldexp(1.0, exponent - 10);
    // nearbyint rounds ties to even in the default rounding mode.
    return static_cast<float>(std::nearbyint(x / spacing) * spacing);
}

void expectStoreError(const std::function<void()>& action,
                      std::initializer_list<std::string> fragments) {
    try {
        action();
        ADD_FAILURE() << "expected a StoreError";
    } catch (const StoreError& error) {
        const std::string message = error.what();
        for (const std::string& fragment : fragments)
            EXPECT_NE(message.find(fragment), std::string::npos)
                << "message \"" << message << "\" lacks \"" << fragment << "\"";
    } catch (const std::exception& error) {
        ADD_FAILURE() << "expected a StoreError, got: " << error.what();
    }
}

std::vector<std::string> fileNames(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    return names;
}

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace attnscope::store::test
