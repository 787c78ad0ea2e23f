// Every input in fuzz/store/regressions/ once crashed, exhausted memory or stalled a reader.
// Each must now be refused (or read) with a clear error by the capture reader, by the full
// metadata and data walk the fuzzers do, and by the session reader.
#include <gtest/gtest.h>

#include <filesystem>

#include "attnscope/app/session.h"
#include "attnscope/capture/load_error.h"
#include "attnscope/store/capture_reader.h"
#include "fuzz_reader_walk.h"

namespace attnscope::app {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> regressionInputs() {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(ATTNSCOPE_FUZZ_REGRESSIONS_DIR))
        if (entry.is_regular_file()) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(FuzzRegressions, TheFolderHoldsTheKnownInputs) {
    EXPECT_GE(regressionInputs().size(), 2u);
}

class FuzzRegression : public ::testing::TestWithParam<fs::path> {};

TEST_P(FuzzRegression, CaptureReaderRefusesOrReadsIt) {
    try {
        store::fuzz::touchEverything(store::CaptureReader(GetParam()));
    } catch (const store::StoreError& e) {
        EXPECT_NE(std::string(e.what()).find(GetParam().filename().string()), std::string::npos)
            << e.what();
    }
}

TEST_P(FuzzRegression, SessionReaderRefusesItNamingTheFile) {
    try {
        readSessionFile(GetParam());
        ADD_FAILURE() << "a corrupt file was read as a session";
    } catch (const store::StoreError& e) {
        EXPECT_NE(std::string(e.what()).find(GetParam().filename().string()), std::string::npos)
            << e.what();
    } catch (const capture::InputError& e) {
        EXPECT_NE(std::string(e.what()).find(GetParam().filename().string()), std::string::npos)
            << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Inputs, FuzzRegression, ::testing::ValuesIn(regressionInputs()),
                         [](const auto& info) {
                             std::string name = info.param.filename().string();
                             name = name.substr(0, name.find('-', name.find('-') + 1));
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name + "_" + std::to_string(info.index);
                         });

}  // namespace
}  // namespace attnscope::app
