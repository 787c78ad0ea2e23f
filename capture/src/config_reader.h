#pragma once
// Typed reads of config.json fields; every error names the file and the field.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace attnscope::capture {

class ConfigReader {
public:
    /// `label` (the file path) prefixes every error message.
    ConfigReader(const nlohmann::json& object, std::string label)
        : m_json(object), m_label(std::move(label)) {}

    /// Throws ModelLoadError("label: what").
    [[noreturn]] void fail(const std::string& what) const;
    /// The first of `keys` present: configs of different families spell fields differently.
    std::optional<int64_t> optionalInt(std::initializer_list<const char*> keys) const;
    /// Like optionalInt, but missing or non-positive values are errors (naming the first key).
    int64_t requiredPositive(std::initializer_list<const char*> keys) const;
    double optionalNumber(const char* key, double fallback) const;
    bool optionalBool(const char* key, bool fallback) const;
    std::string optionalString(const char* key, const std::string& fallback) const;
    /// A token id that may also be a list (newer Llama configs); the first entry is the primary.
    std::optional<int64_t> tokenId(const char* key) const;
    /// The object under `key` with the same label; nullopt when absent or null.
    std::optional<ConfigReader> object(const char* key) const;
    const nlohmann::json& json() const { return m_json; }

private:
    const nlohmann::json& m_json;
    std::string m_label;
};

}  // namespace attnscope::capture
