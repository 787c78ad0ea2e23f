// `attnscope-cli plugins list [--json]`: every plugin script found, loaded or not, with why not.
#include <ostream>

#include "attnscope/plugins/plugin_host.h"
#include "attnscope/plugins/plugin_paths.h"
#include "cli_args.h"
#include "commands.h"

namespace attnscope::app {

int runPluginsCommand(const std::vector<std::string>& argv, std::istream&, std::ostream& out,
                      std::ostream&) {
    if (argv.empty() || argv[0] != "list") throw UsageError("expected 'plugins list'");
    const CliArgs args(std::vector<std::string>(argv.begin() + 1, argv.end()), {}, {"--json"});
    const auto records = plugins::loadPlugins();
    nlohmann::json folders = nlohmann::json::array();
    for (const auto& f : plugins::PluginHost::instance().folders())
        folders.push_back(f.string());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : records)
        list.push_back({{"name", r.name},
                        {"file", r.file.string()},
                        {"loaded", r.loaded},
                        {"error", r.error},
                        {"metrics", r.metrics},
                        {"edits", r.edits}});
    if (args.flag("--json")) {
        const auto python = plugins::PluginHost::instance().pythonInfo();
        out << nlohmann::json{{"folders", folders},
                              {"plugins", list},
                              {"python",
                               {{"executable", python.executable}, {"version", python.version}}}}
                   .dump(2)
            << "\n";
        return 0;
    }
    out << "plugin folders:\n";
    for (const auto& f : folders)
        out << "  " << f.get<std::string>() << "\n";
    for (const auto& r : records) {
        out << (r.loaded ? "loaded  " : "FAILED  ") << r.name << "  " << r.file.string() << "\n";
        for (const auto& m : r.metrics)
            out << "    metric " << m << "\n";
        for (const auto& e : r.edits)
            out << "    edit   " << e << "\n";
        if (!r.loaded) out << "    " << r.error << "\n";
    }
    if (records.empty()) out << "no plugin scripts found\n";
    return 0;
}

}  // namespace attnscope::app
