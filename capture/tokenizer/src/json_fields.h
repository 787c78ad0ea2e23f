#pragma once
// Typed access to tokenizer.json fields with errors that say which field is wrong.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace attnscope::capture::detail {

using Json = nlohmann::json;

/// `where` names the object in messages, e.g. "pre_tokenizer (Split)".
const Json& requireField(const Json& object, std::string_view key, std::string_view where);
const Json& requireObject(const Json& value, std::string_view where);
std::string requireString(const Json& object, std::string_view key, std::string_view where);
int64_t requireInteger(const Json& object, std::string_view key, std::string_view where);
/// Missing or null gives nullopt; any other non-string is an error.
std::optional<std::string> optionalString(const Json& object, std::string_view key,
                                          std::string_view where);
bool optionalBool(const Json& object, std::string_view key, bool fallback, std::string_view where);
int64_t optionalInteger(const Json& object, std::string_view key, int64_t fallback,
                        std::string_view where);
/// The "type" of a component object.
std::string typeOf(const Json& object, std::string_view where);

}  // namespace attnscope::capture::detail
