// The executable itself: the subcommands it offers, and that it needs no Qt library (Debian's
// LibTorch loads Qt 5 through OpenCV at run time; that is LibTorch's, not a NEEDED entry of
// ours).
#include <sstream>

#include "cli_test_support.h"

namespace attnscope::test {
namespace {

TEST(CliLinkage, NeedsNoQtLibrary) {
    const ProcessResult r = runProcess({"/usr/bin/readelf", "--dynamic", ATTNSCOPE_CLI});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    int needed = 0;
    bool torch = false;
    while (std::getline(lines, line)) {
        if (line.find("(NEEDED)") == std::string::npos) continue;
        ++needed;
        torch = torch || line.find("libtorch") != std::string::npos ||
                line.find("libc10") != std::string::npos;
        EXPECT_EQ(line.find("libQt"), std::string::npos) << line;
    }
    EXPECT_GT(needed, 3);
    EXPECT_TRUE(torch) << "readelf output not understood:\n" << r.out;
}

TEST(CliLinkage, HelpListsEverySubcommandAndUnknownOnesFail) {
    const ProcessResult help = runProcess({ATTNSCOPE_CLI, "--help"});
    ASSERT_EQ(help.exitCode, 0);
    for (const char* command :
         {"info", "run", "lens", "ablation-curve", "session show", "session export", "session save",
          "score", "metrics", "tokenize", "train-demo", "eval-demo", "batch", "patch", "pairs",
          "circuit", "circuit-eval", "plugins list"})
        EXPECT_NE(help.out.find(std::string("  ") + command + " "), std::string::npos) << command;
    const ProcessResult unknown = runProcess({ATTNSCOPE_CLI, "frobnicate"});
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
}

}  // namespace
}  // namespace attnscope::test
