// Sessions save and reopen their circuits: a session file written by app::Session on the demo
// model holds every circuit in /results/circuits and reads back equal.
#include <gtest/gtest.h>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/app/session.h"
#include "attnscope/store/capture_reader.h"
#include "circuit_test_support.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::analysis::circuits::test {
namespace {

using attnscope::test::TempDir;

std::filesystem::path demoModel() {
    return attnscope::test::sourceDir() / "resources/models/demo";
}

TEST(CircuitSessionFile, SessionSavesAndReopensCircuits) {
    app::Session session(demoModel());
    const app::ModelSummary& m = session.model();
    app::SessionDocument document;
    document.modelPath = demoModel().string();
    document.prompt = "alice apple bob river . alice";
    for (uint32_t seed : {1u, 2u, 3u}) {
        Circuit c = randomCircuit(m.layers, m.heads, m.kvHeads, seed);
        c.modelFingerprint = m.fingerprint;
        document.circuits.push_back(c);
    }
    document.circuits[1].method = "acdc";
    const auto run = session.run({document.prompt, "", {}, 5});

    TempDir dir;
    const std::filesystem::path path = dir.path() / "with circuits.attnscope.h5";
    session.save(path, document, run.get());
    const app::SessionFileContents back = app::readSessionFile(path);
    ASSERT_EQ(back.document.circuits.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(circuitToJson(back.document.circuits[i]), circuitToJson(document.circuits[i]))
            << "circuit " << i;
        EXPECT_NO_THROW(checkCircuitFitsModel(back.document.circuits[i], m.layers, m.heads,
                                              m.kvHeads, m.fingerprint, path.string()));
    }
    // The runs and the score tables are still there beside the circuits.
    EXPECT_EQ(back.layers, m.layers);
    EXPECT_TRUE(back.patterns != nullptr);
    EXPECT_TRUE(back.document.results.empty());
    EXPECT_EQ(store::CaptureReader(path).circuitNames(), (std::vector<std::string>{"0", "1", "2"}));

    // Saving again with fewer circuits leaves only those.
    document.circuits.resize(1);
    session.save(path, document, nullptr);
    EXPECT_EQ(app::readSessionFile(path).document.circuits.size(), 1u);
}

}  // namespace
}  // namespace attnscope::analysis::circuits::test
