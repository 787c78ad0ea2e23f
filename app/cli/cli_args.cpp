#include "cli_args.h"

namespace attnscope::app {

CliArgs::CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
                 const std::set<std::string>& flags) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        // "--name=value" is "--name value".
        const size_t eq = a.find('=');
        if (a.rfind("--", 0) == 0 && eq != std::string::npos && valued.count(a.substr(0, eq))) {
            m_values[a.substr(0, eq)].push_back(a.substr(eq + 1));
        } else if (flags.count(a)) {
            m_flags.insert(a);
        } else if (valued.count(a)) {
            if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
            m_values[a].push_back(args[++i]);
        } else {
            throw UsageError("unknown argument '" + a + "'");
        }
    }
}

std::optional<std::string> CliArgs::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end()) return std::nullopt;
    return it->second.back();
}

std::string CliArgs::required(const std::string& name) const {
    auto v = value(name);
    if (!v) throw UsageError(name + " is required");
    return *v;
}

std::vector<std::string> CliArgs::all(const std::string& name) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

int64_t CliArgs::integer(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const {
    auto v = value(name);
    if (!v) return fallback;
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v->size() || n < lo || n > hi)
        throw UsageError(name + " must be an integer between " + std::to_string(lo) + " and " +
                         std::to_string(hi) + ", got '" + *v + "'");
    return n;
}

}  // namespace attnscope::app
