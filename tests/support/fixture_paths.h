#pragma once
// Where tests find the shared fixtures and the repository's own resources.
#include <filesystem>
#include <string>

namespace attnscope::test {

/// ../shared beside the checkout (overridable with ATTNSCOPE_SHARED_DIR in the environment).
inline std::filesystem::path sharedDir() {
    if (const char* env = std::getenv("ATTNSCOPE_SHARED_DIR")) return env;
    return ATTNSCOPE_SHARED_DIR;
}

inline std::filesystem::path fixturesDir() {
    return sharedDir() / "fixtures";
}

inline std::filesystem::path sourceDir() {
    return ATTNSCOPE_SOURCE_DIR;
}

}  // namespace attnscope::test

/// Skips the current test with a clear message when a shared fixture folder is missing.
#define ATTNSCOPE_REQUIRE_FIXTURE(path)                                   \
    do {                                                                  \
        if (!std::filesystem::exists(path))                               \
            GTEST_SKIP() << "shared fixture missing: " << (path).string() \
                         << " (expected ../shared beside the checkout)";  \
    } while (0)
