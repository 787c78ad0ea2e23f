#pragma once
// YAML nodes as JSON values, and the scalar checks experiment parameters use.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

namespace attnscope::app {

/// Whether `text` is a whole decimal integer ("-3", "12").
bool isIntegerText(const std::string& text);
/// Whether `text` is a whole finite or infinite decimal number ("0.5", "1e-3", "7").
bool isRealText(const std::string& text);

/// The node as JSON: plain scalars that read as integers, numbers, true/false or null become
/// those; quoted scalars stay strings.
nlohmann::json yamlToJson(const YAML::Node& node);

}  // namespace attnscope::app
