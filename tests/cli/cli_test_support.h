#pragma once
// What the CLI tests share: the executable, the demo model, temporary files, JSON output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_process.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::test {

inline std::string demoModel() {
    return (sourceDir() / "resources" / "models" / "demo").string();
}
inline const char* kDemoPrompt = "alice apple bob river carol stone . carol stone alice apple bob";

/// attnscope-cli with `args`, one thread so that runs compare exactly across processes.
inline ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), ATTNSCOPE_CLI);
    if (args.size() > 2 && args[1] != "session") {
        args.push_back("--threads");
        args.push_back("1");
    }
    return runProcess(args);
}

/// The failure-case test plugins' folder (tests/plugins/scripts).
inline std::string testPluginDir() {
    return (sourceDir() / "tests" / "plugins" / "scripts").string();
}

/// The process `args` (the program first) with the test plugins on ATTNSCOPE_PLUGIN_PATH; the
/// repository's plugins/ folder is always searched.
inline ProcessResult runWithTestPlugins(const std::vector<std::string>& args) {
    ::setenv("ATTNSCOPE_PLUGIN_PATH", testPluginDir().c_str(), 1);
    ProcessResult r = runProcess(args);
    ::unsetenv("ATTNSCOPE_PLUGIN_PATH");
    return r;
}

/// The process's standard output as JSON; a test failure (and null) when it is not.
inline nlohmann::json jsonOf(const ProcessResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out << "\nstderr:\n" << r.err;
    return j;
}

}  // namespace attnscope::test
