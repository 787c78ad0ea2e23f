#include "yaml_json.h"

#include <cerrno>
#include <cstdlib>

namespace attnscope::app {

bool isIntegerText(const std::string& text) {
    if (text.empty()) return false;
    errno = 0;
    char* end = nullptr;
    std::strtoll(text.c_str(), &end, 10);
    return errno == 0 && end == text.c_str() + text.size();
}

bool isRealText(const std::string& text) {
    if (text.empty()) return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

nlohmann::json yamlToJson(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence: {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& n : node)
                out.push_back(yamlToJson(n));
            return out;
        }
        case YAML::NodeType::Map: {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& entry : node)
                out[entry.first.as<std::string>()] = yamlToJson(entry.second);
            return out;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = node.Scalar();
            // yaml-cpp tags a quoted scalar "!" and a plain one "?".
            if (node.Tag() == "!") return s;
            if (isIntegerText(s)) return std::stoll(s);
            if (isRealText(s)) return std::strtod(s.c_str(), nullptr);
            if (s == "true") return true;
            if (s == "false") return false;
            if (s == "null" || s == "~") return nullptr;
            return s;
        }
        default:
            return nullptr;
    }
}

}  // namespace attnscope::app
