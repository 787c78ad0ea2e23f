#include "json_fields.h"

#include "attnscope/capture/tokenizer_error.h"

namespace attnscope::capture::detail {

namespace {

[[noreturn]] void fail(std::string_view where, const std::string& problem) {
    throw TokenizerError(std::string(where) + ": " + problem);
}

const Json* findField(const Json& object, std::string_view key, std::string_view where) {
    requireObject(object, where);
    const auto it = object.find(std::string(key));
    return it == object.end() ? nullptr : &*it;
}

}  // namespace

const Json& requireObject(const Json& value, std::string_view where) {
    if (!value.is_object())
        fail(where, std::string("expected an object, found ") + value.type_name());
    return value;
}

const Json& requireField(const Json& object, std::string_view key, std::string_view where) {
    const Json* field = findField(object, key, where);
    if (field == nullptr) fail(where, "missing \"" + std::string(key) + "\"");
    return *field;
}

std::string requireString(const Json& object, std::string_view key, std::string_view where) {
    const Json& field = requireField(object, key, where);
    if (!field.is_string())
        fail(where, "\"" + std::string(key) + "\" must be a string, found " + field.type_name());
    return field.get<std::string>();
}

int64_t requireInteger(const Json& object, std::string_view key, std::string_view where) {
    const Json& field = requireField(object, key, where);
    if (!field.is_number_integer())
        fail(where, "\"" + std::string(key) + "\" must be an integer, found " + field.type_name());
    return field.get<int64_t>();
}

std::optional<std::string> optionalString(const Json& object, std::string_view key,
                                          std::string_view where) {
    const Json* field = findField(object, key, where);
    if (field == nullptr || field->is_null()) return std::nullopt;
    if (!field->is_string())
        fail(where, "\"" + std::string(key) + "\" must be a string, found " + field->type_name());
    return field->get<std::string>();
}

bool optionalBool(const Json& object, std::string_view key, bool fallback, std::string_view where) {
    const Json* field = findField(object, key, where);
    if (field == nullptr || field->is_null()) return fallback;
    if (!field->is_boolean())
        fail(where,
             "\"" + std::string(key) + "\" must be true or false, found " + field->type_name());
    return field->get<bool>();
}

int64_t optionalInteger(const Json& object, std::string_view key, int64_t fallback,
                        std::string_view where) {
    const Json* field = findField(object, key, where);
    if (field == nullptr || field->is_null()) return fallback;
    if (!field->is_number_integer())
        fail(where, "\"" + std::string(key) + "\" must be an integer, found " + field->type_name());
    return field->get<int64_t>();
}

std::string typeOf(const Json& object, std::string_view where) {
    return requireString(object, "type", where);
}

}  // namespace attnscope::capture::detail
