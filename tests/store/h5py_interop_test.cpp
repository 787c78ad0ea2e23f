// A capture is readable by h5py with no AttnScope code: the system python reads it back and
// checks the values against the formula that generated them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_writer.h"
#include "fixture_paths.h"
#include "store_test_support.h"

namespace attnscope::store::test {
namespace {

namespace fs = std::filesystem;

// The system python has h5py and numpy; the python first on PATH may not.
constexpr const char* kPython = "/usr/bin/python3";

std::vector<float> pattern(int64_t heads, int64_t tokens, double offset) {
    std::vector<float> values(heads * tokens * tokens);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = float(std::sin(0.37 * double(i) + offset));
    return values;
}

TEST(H5pyInterop, H5pyReadsWhatWeWrote) {
    if (std::system((std::string(kPython) + " -c 'import h5py, numpy' 2>/dev/null").c_str()) != 0)
        GTEST_SKIP() << kPython << " with h5py and numpy is not installed";
    TempDir dir;
    const fs::path path = dir / "interop.h5";
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        writer.beginRun(sampleRun(5, "h\xC3\xA9llo w\xC3\xB6rld"));
        const std::vector<float> f32 = pattern(4, 5, 0.0);
        writer.writeHook(patternHookName(0), {f32.data(), {4, 5, 5}});
        writer.commit();
    }
    {
        CaptureWriter writer = CaptureWriter::append(path, {StorageType::Float16, true, 4});
        writer.beginRun(sampleRun(5));
        const std::vector<float> f16 = pattern(4, 5, 1.0);
        writer.writeHook(patternHookName(0), {f16.data(), {4, 5, 5}});
        const std::vector<float> lse(4 * 5, 0.5f);
        writer.writeLse(1, {lse.data(), {4, 5}}, 0.125f, 0.0f);
        std::vector<float> scores(8);
        for (int i = 0; i < 8; ++i)
            scores[i] = float(i) / 8.0f;
        writer.writeScores("sink_mass", "0", {2, 4, scores}, R"({"sink_tokens": 1})");
        writer.commit();
    }
    const fs::path script = attnscope::test::sourceDir() / "tests/store/h5py_check.py";
    const std::string command =
        std::string(kPython) + " '" + script.string() + "' '" + path.string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace attnscope::store::test
