#include "config_reader.h"

#include "attnscope/capture/load_error.h"

namespace attnscope::capture {

void ConfigReader::fail(const std::string& what) const {
    throw ModelLoadError(m_label + ": " + what);
}

std::optional<int64_t> ConfigReader::optionalInt(std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
        auto it = m_json.find(key);
        if (it == m_json.end() || it->is_null()) continue;
        if (!it->is_number_integer()) fail(std::string("field '") + key + "' must be an integer");
        return it->get<int64_t>();
    }
    return std::nullopt;
}

int64_t ConfigReader::requiredPositive(std::initializer_list<const char*> keys) const {
    auto value = optionalInt(keys);
    if (!value) fail(std::string("missing required field '") + *keys.begin() + "'");
    if (*value <= 0)
        fail(std::string("field '") + *keys.begin() + "' must be positive, got " +
             std::to_string(*value));
    return *value;
}

double ConfigReader::optionalNumber(const char* key, double fallback) const {
    auto it = m_json.find(key);
    if (it == m_json.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(std::string("field '") + key + "' must be a number");
    return it->get<double>();
}

bool ConfigReader::optionalBool(const char* key, bool fallback) const {
    auto it = m_json.find(key);
    if (it == m_json.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(std::string("field '") + key + "' must be true or false");
    return it->get<bool>();
}

std::string ConfigReader::optionalString(const char* key, const std::string& fallback) const {
    auto it = m_json.find(key);
    if (it == m_json.end() || it->is_null()) return fallback;
    if (!it->is_string()) fail(std::string("field '") + key + "' must be a string");
    return it->get<std::string>();
}

std::optional<int64_t> ConfigReader::tokenId(const char* key) const {
    auto it = m_json.find(key);
    if (it == m_json.end() || it->is_null()) return std::nullopt;
    if (it->is_array() && !it->empty() && (*it)[0].is_number_integer())
        return (*it)[0].get<int64_t>();
    if (it->is_number_integer()) return it->get<int64_t>();
    fail(std::string("field '") + key + "' must be an integer or a list of integers");
}

std::optional<ConfigReader> ConfigReader::object(const char* key) const {
    auto it = m_json.find(key);
    if (it == m_json.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) fail(std::string("field '") + key + "' must be an object");
    return ConfigReader(*it, m_label);
}

}  // namespace attnscope::capture
