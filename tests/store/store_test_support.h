#pragma once
// Shared helpers for the store tests: temporary directories, seeded data, small captures.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "attnscope/store/capture_types.h"

namespace attnscope::store::test {

/// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

/// `count` values from a seeded normal distribution.
std::vector<float> randomValues(size_t count, uint32_t seed, float stddev = 1.0f);
/// Product of the extents.
size_t elementCount(const std::vector<int64_t>& shape);

ModelInfo sampleModel();
/// A run of `tokens` tokens with distinct ids, strings (some non-ASCII) and offsets.
RunInfo sampleRun(int64_t tokens, const std::string& prompt = "The quick brown fox");

/// The IEEE half nearest to `value` (ties to even), as a float, computed in double
/// arithmetic independently of the store's bit-level conversion.
float roundToHalf(float value);

/// Expects `action` to throw StoreError whose message contains every fragment.
void expectStoreError(const std::function<void()>& action,
                      std::initializer_list<std::string> fragments);

/// Names of the files in `dir`.
std::vector<std::string> fileNames(const std::filesystem::path& dir);
/// The bytes of a file.
std::string readBytes(const std::filesystem::path& path);

}  // namespace attnscope::store::test
