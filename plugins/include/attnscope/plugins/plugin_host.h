#pragma once
// The embedded CPython host: finds plugin scripts, reads their metadata without running them,
// registers their metrics in the analysis registry as "plugin:NAME", and reloads them.
// Torch-free and Qt-free: the CLI and the GUI's controller include it.
//
// Threads: one interpreter per process, created on first use and never finalised; it lives on
// one dedicated worker thread that runs every plugin call and holds the GIL only while it
// does. Callers on any thread wait for the worker. Python objects never leave that thread.
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/analysis/metric.h"

namespace attnscope::plugins {

/// Any failure of plugin code or of what it returns. what() names the plugin, its file and the
/// line in the user's script, with the traceback through the user's code; a PluginError raised
/// on purpose by the plugin gives "plugin NAME: message" only.
struct PluginError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// attnscope-cli's exit code for a PluginError (0 success, 1 error, 2 usage, 130 interrupted).
inline constexpr int kPluginErrorExitCode = 6;

/// The registry prefix of plugin metrics and edits: "plugin:previous_token".
inline constexpr const char* kPluginPrefix = "plugin:";

/// One declared attention edit (a function from a head's pattern to a pattern).
struct PluginEditInfo {
    std::string name;  ///< "plugin:NAME"
    std::string label;
    std::string description;
    std::vector<analysis::ParamSpec> params;
};

/// One script found in a plugin folder.
struct PluginRecord {
    std::string name;  ///< the metadata's name; the file's stem when it could not be read
    std::filesystem::path file;
    bool loaded = false;               ///< metadata read and its metrics registered
    std::string error;                 ///< why not, naming the file and line
    std::vector<std::string> metrics;  ///< registry names, "plugin:..."
    std::vector<std::string> edits;    ///< "plugin:..."
};

struct PythonInfo {
    std::string executable;  ///< sys.executable inside the embedded interpreter
    std::string version;     ///< sys.version
};

class PluginHost {
public:
    /// The process's host; the interpreter starts on first use.
    static PluginHost& instance();

    /// Reads every *.py script in `folders` (missing folders are skipped, names starting with
    /// '_' too) and registers their metrics in `registry` under "plugin:NAME", replacing the
    /// plugin metrics registered before. Never throws for a bad script: its record holds the
    /// error. Call it while no plugin metric is running.
    std::vector<PluginRecord> load(const std::vector<std::filesystem::path>& folders,
                                   analysis::MetricRegistry& registry);
    /// Forgets the imported plugin modules (numpy and other libraries stay) and loads the
    /// folders of the last load() again, into the same registry: an edited script takes
    /// effect without a restart.
    std::vector<PluginRecord> reload();

    std::vector<PluginRecord> plugins() const;
    std::vector<std::filesystem::path> folders() const;
    std::vector<PluginEditInfo> edits() const;
    PythonInfo pythonInfo();

private:
    PluginHost() = default;
    mutable std::mutex m_mutex;  // guards the members below
    std::vector<std::filesystem::path> m_folders;
    analysis::MetricRegistry* m_registry = nullptr;
    std::vector<PluginRecord> m_records;
    std::vector<PluginEditInfo> m_edits;
};

/// For a "plugin:..." name that `registry` lacks: throws PluginError listing the plugin metrics
/// that exist and the plugins that failed to load, with their reasons. Other names: nothing.
void requirePluginMetric(const std::string& name, const analysis::MetricRegistry& registry);

/// Loads pluginSearchPath() into the global registry (and installPluginEdits()) the first time
/// it is called; later calls return the records of that load (or of the last reload). Front
/// ends call it at start-up.
std::vector<PluginRecord> loadPlugins();

/// Makes the plugin edits the edit vocabulary's `plugin_edit` kind (app/core): installs the
/// analysis::AttentionEditProvider that loads the plugins (loadPlugins) the first time an edit
/// list names one, so that a command without plugin edits never starts the interpreter.
void installPluginEdits();

}  // namespace attnscope::plugins
