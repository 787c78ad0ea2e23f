#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_edit.h"

#include <algorithm>
#include <set>

#include "attnscope/plugins/plugin_paths.h"
#include "plugin_metric.h"
#include "python_worker.h"

namespace py = pybind11;

namespace attnscope::plugins {
namespace {

std::vector<std::filesystem::path> scriptsIn(const std::vector<std::filesystem::path>& folders) {
    std::vector<std::filesystem::path> out;
    for (const auto& folder : folders) {
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) continue;
        std::vector<std::filesystem::path> here;
        for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
            const auto& p = entry.path();
            if (p.extension() == ".py" && p.filename().string()[0] != '_' &&
                entry.is_regular_file(ec))
                here.push_back(std::filesystem::absolute(p));
        }
        std::sort(here.begin(), here.end());
        out.insert(out.end(), here.begin(), here.end());
    }
    return out;
}

// The script's metadata, read by ast.literal_eval on the worker: the script never runs.
nlohmann::json readMetadata(const std::filesystem::path& script) {
    std::string text;
    PythonWorker::instance().call([&] {
        text = hostModule().attr("read_metadata_json")(script.string()).cast<std::string>();
    });
    return nlohmann::json::parse(text);
}

PluginFunction functionOf(const ScriptRef& script, const nlohmann::json& entry) {
    return {script, entry.at("name").get<std::string>(), entry.at("function").get<std::string>(),
            entry.at("line").get<int>(), paramSpecsFromJson(entry.at("parameters"))};
}

}  // namespace

PluginHost& PluginHost::instance() {
    static PluginHost host;
    return host;
}

std::vector<PluginRecord> PluginHost::load(const std::vector<std::filesystem::path>& folders,
                                           analysis::MetricRegistry& registry) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_folders = folders;
    m_registry = &registry;
    m_records.clear();
    m_edits.clear();
    registry.removeWithPrefix(kPluginPrefix);
    std::set<std::string> taken, plugins;
    for (const auto& m : registry.all())
        taken.insert(m->info().name);
    std::vector<PluginFunction> editFunctions;
    for (const auto& script : scriptsIn(folders)) {
        PluginRecord record;
        record.name = script.stem().string();
        record.file = script;
        const nlohmann::json meta = readMetadata(script);
        ScriptRef ref{record.name, script.string()};
        if (meta.contains("error")) {
            const int line = meta.at("line").get<int>();
            const std::string error = meta.at("error").get<std::string>();
            record.error = line > 0 ? describeAt(ref, line, error)
                                    : "plugin " + ref.plugin + " (" + ref.file + "): " + error;
            m_records.push_back(std::move(record));
            continue;
        }
        record.name = ref.plugin = meta.at("name").get<std::string>();
        std::string clash;
        if (!plugins.insert(record.name).second)
            clash = "another plugin is already named '" + record.name + "'";
        std::vector<std::string> names;
        for (const char* list : {"metrics", "edits"})
            for (const auto& entry : meta.at(list)) {
                const std::string name = kPluginPrefix + entry.at("name").get<std::string>();
                if (clash.empty() &&
                    (taken.count(name) || std::count(names.begin(), names.end(), name)))
                    clash = "'" + name + "' is already declared by another plugin";
                names.push_back(name);
            }
        if (!clash.empty()) {
            record.error = describeAt(ref, 1, clash);
            m_records.push_back(std::move(record));
            continue;
        }
        for (const auto& entry : meta.at("metrics")) {
            const PluginFunction f = functionOf(ref, entry);
            registry.add(makePluginMetric(f, entry));
            record.metrics.push_back(kPluginPrefix + f.name);
        }
        for (const auto& entry : meta.at("edits")) {
            PluginFunction f = functionOf(ref, entry);
            m_edits.push_back({kPluginPrefix + f.name, entry.value("label", f.name),
                               entry.value("description", ""), f.params});
            record.edits.push_back(kPluginPrefix + f.name);
            editFunctions.push_back(std::move(f));
        }
        taken.insert(names.begin(), names.end());
        record.loaded = true;
        m_records.push_back(std::move(record));
    }
    setPluginEdits(std::move(editFunctions));
    return m_records;
}

std::vector<PluginRecord> PluginHost::reload() {
    std::vector<std::filesystem::path> folders;
    analysis::MetricRegistry* registry = nullptr;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        folders = m_folders;
        registry = m_registry;
    }
    PythonWorker::instance().call([] { hostModule().attr("purge")(); });
    return load(folders, registry ? *registry : analysis::MetricRegistry::global());
}

std::vector<PluginRecord> PluginHost::plugins() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_records;
}

std::vector<std::filesystem::path> PluginHost::folders() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_folders;
}

std::vector<PluginEditInfo> PluginHost::edits() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_edits;
}

PythonInfo PluginHost::pythonInfo() {
    PythonInfo info;
    PythonWorker::instance().call([&] {
        const py::tuple t = hostModule().attr("python_info")();
        info.executable = t[0].cast<std::string>();
        info.version = t[1].cast<std::string>();
    });
    return info;
}

void requirePluginMetric(const std::string& name, const analysis::MetricRegistry& registry) {
    if (name.rfind(kPluginPrefix, 0) != 0) return;
    std::string known;
    for (const auto& m : registry.all()) {
        if (m->info().name == name) return;
        if (m->info().name.rfind(kPluginPrefix, 0) == 0)
            known += (known.empty() ? "" : ", ") + m->info().name;
    }
    std::string message = "unknown plugin metric '" + name +
                          "' (plugin metrics: " + (known.empty() ? "none" : known) + ")";
    for (const auto& r : PluginHost::instance().plugins())
        if (!r.loaded) message += "\nnot loaded: " + r.error;
    throw PluginError(message);
}

std::vector<PluginRecord> loadPlugins() {
    static std::once_flag once;
    std::call_once(once, [] {
        installPluginEdits();
        PluginHost::instance().load(pluginSearchPath(), analysis::MetricRegistry::global());
    });
    return PluginHost::instance().plugins();
}

}  // namespace attnscope::plugins
