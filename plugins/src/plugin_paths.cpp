#include "attnscope/plugins/plugin_paths.h"

#include <cstdlib>

namespace attnscope::plugins {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

}  // namespace

std::filesystem::path appDataDir(const std::string& organization, const std::string& application) {
    // As QStandardPaths (qstandardpaths_unix.cpp): a relative XDG_DATA_HOME is ignored, and
    // QDir::homePath() falls back to the root when HOME is unset.
    std::filesystem::path base = env("XDG_DATA_HOME");
    if (base.empty() || base.is_relative()) {
        const std::string home = env("HOME");
        base = std::filesystem::path(home.empty() ? "/" : home) / ".local" / "share";
    }
    if (!organization.empty()) base /= organization;
    if (!application.empty()) base /= application;
    return base;
}

std::filesystem::path userPluginDir() {
    return appDataDir() / "plugins";
}

std::filesystem::path bundledPluginDir() {
    return ATTNSCOPE_PLUGIN_SCRIPTS_DIR;
}

std::vector<std::filesystem::path> pluginSearchPath() {
    std::vector<std::filesystem::path> out{bundledPluginDir(), userPluginDir()};
    const std::string extra = env("ATTNSCOPE_PLUGIN_PATH");
    std::size_t start = 0;
    while (start <= extra.size()) {
        const std::size_t end = std::min(extra.find(':', start), extra.size());
        if (end > start) out.emplace_back(extra.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace attnscope::plugins
