// Session::score, the entry of the CLI's `score`, the window's analysis panel and the batch
// runner: a cancel ends it with capture::Cancelled and no result, and the edits it attached
// for the metric's forwards are gone afterwards.
#include <gtest/gtest.h>

#include <atomic>

#include "attnscope/app/session.h"
#include "fixture_paths.h"

namespace attnscope::app {
namespace {

std::filesystem::path demoDir() {
    return test::sourceDir() / "resources" / "models" / "demo";
}

ScoreRequest sinkMassOfTwoPrompts(EditList edits) {
    ScoreRequest r;
    r.metric = "sink_mass";
    r.prompts = {"alice apple bob river carol stone . carol stone alice apple bob",
                 "the secret of paris is tiger lemon . then . the secret of paris is"};
    r.edits = std::move(edits);
    return r;
}

TEST(SessionScore, CancelThrowsCancelledAndLeavesNoEditAttached) {
    Session session(demoDir());
    Edit ablate;
    ablate.kind = EditKind::ZeroAblation;
    ablate.layer = 0;
    ablate.head = 1;
    const ScoreRequest edited = sinkMassOfTwoPrompts({ablate});

    std::atomic<bool> cancel{false};
    int reports = 0;
    const capture::Progress cancelAtFirstReport(
        [&](double, const std::string&) {
            ++reports;
            cancel = true;
        },
        &cancel);
    EXPECT_THROW(session.score(edited, cancelAtFirstReport), capture::Cancelled);
    EXPECT_EQ(reports, 1);  // the first of two prompts; the second never ran

    // The same session scores unedited exactly as a fresh one: the cancelled job's ablation
    // hook did not outlive it.
    const HeadScores after = session.score(sinkMassOfTwoPrompts({}));
    const HeadScores fresh = Session(demoDir()).score(sinkMassOfTwoPrompts({}));
    ASSERT_EQ(after.values.size(), fresh.values.size());
    for (size_t i = 0; i < after.values.size(); ++i)
        EXPECT_DOUBLE_EQ(after.values[i], fresh.values[i]) << i;
    // And the edit changes the later layers' patterns when it is in force (so the check above
    // could have failed).
    EXPECT_NE(session.score(edited).values, fresh.values);
}

}  // namespace
}  // namespace attnscope::app
