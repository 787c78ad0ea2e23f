#pragma once
// Where plugin scripts are found. Torch-free and Qt-free: the CLI and the GUI share it.
#include <filesystem>
#include <string>
#include <vector>

namespace attnscope::plugins {

/// The organisation and application names the desktop application sets (app/gui/main.cpp);
/// the per-user folder is derived from them the way QStandardPaths does.
inline constexpr const char* kOrganizationName = "AttnScope";
inline constexpr const char* kApplicationName = "AttnScope";

/// QStandardPaths::AppDataLocation on Linux, computed without Qt: $XDG_DATA_HOME (when set and
/// absolute) else $HOME/.local/share, then /ORGANIZATION/APPLICATION (the organisation is left
/// out when empty).
std::filesystem::path appDataDir(const std::string& organization = kOrganizationName,
                                 const std::string& application = kApplicationName);
/// appDataDir()/plugins: the per-user plugin folder.
std::filesystem::path userPluginDir();
/// The repository's example scripts (plugins/scripts).
std::filesystem::path bundledPluginDir();
/// Every folder plugins are loaded from, in order: the bundled scripts, the per-user folder,
/// then each entry of $ATTNSCOPE_PLUGIN_PATH (colon-separated). Folders that do not exist are
/// kept (the per-user one is listed in --help even before it is created).
std::vector<std::filesystem::path> pluginSearchPath();

}  // namespace attnscope::plugins
