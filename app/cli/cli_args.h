#pragma once
// A small command-line parser: `--name value` (or `--name=value`) options, `--flag` switches,
// repeated options.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnscope::app {

/// Thrown for usage errors; the CLI prints the message and the command's usage, exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class CliArgs {
public:
    /// `valued` options take a value; `flags` take none. Anything else is a UsageError.
    CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valued,
            const std::set<std::string>& flags);

    bool has(const std::string& name) const { return m_values.count(name) > 0; }
    bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::string required(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    /// Integer value in [lo, hi]; `fallback` when absent.
    int64_t integer(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const;

private:
    std::map<std::string, std::vector<std::string>> m_values;
    std::set<std::string> m_flags;
};

}  // namespace attnscope::app
