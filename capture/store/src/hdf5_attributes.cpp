#include "hdf5_attributes.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "hdf5_handle.h"

namespace attnscope::store::detail {

std::string objectName(hid_t object) {
    const ssize_t length = H5Iget_name(object, nullptr, 0);
    if (length <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return "<unnamed object>";
    }
    std::string name(static_cast<size_t>(length) + 1, '\0');
    H5Iget_name(object, name.data(), name.size());
    name.resize(static_cast<size_t>(length));
    return name;
}

namespace {

std::string where(hid_t object, const char* name) {
    return "attribute '" + std::string(name) + "' of '" + objectName(object) + "'";
}

Handle variableStringType() {
    Handle type(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
    checkStatus(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create string type");
    checkStatus(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create string type");
    return type;
}

// Replaces an existing attribute: appends update root attributes such as `modified`.
Handle createAttribute(hid_t object, const char* name, hid_t type) {
    const htri_t exists = H5Aexists(object, name);
    checkStatus(exists, "cannot look up " + where(object, name));
    if (exists > 0) checkStatus(H5Adelete(object, name), "cannot replace " + where(object, name));
    Handle space(check(H5Screate(H5S_SCALAR), "cannot create dataspace"));
    return Handle(check(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                        "cannot create " + where(object, name)));
}

// Opens a scalar (or one-element) attribute, or returns an invalid handle when absent.
Handle openScalarAttribute(hid_t object, const char* name) {
    const htri_t exists = H5Aexists(object, name);
    checkStatus(exists, "cannot look up " + where(object, name));
    if (exists == 0) return Handle();
    Handle attribute(
        check(H5Aopen(object, name, H5P_DEFAULT), "cannot open " + where(object, name)));
    Handle space(check(H5Aget_space(attribute.get()), "cannot read " + where(object, name)));
    const hssize_t points = H5Sget_simple_extent_npoints(space.get());
    if (points != 1) fail(where(object, name) + " is not a single value");
    return attribute;
}

}  // namespace

void writeStringAttribute(hid_t object, const char* name, const std::string& value) {
    Handle type = variableStringType();
    Handle attribute = createAttribute(object, name, type.get());
    const char* pointer = value.c_str();
    checkStatus(H5Awrite(attribute.get(), type.get(), &pointer),
                "cannot write " + where(object, name));
}

void writeInt64Attribute(hid_t object, const char* name, int64_t value) {
    Handle attribute = createAttribute(object, name, H5T_STD_I64LE);
    checkStatus(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value),
                "cannot write " + where(object, name));
}

void writeFloatAttribute(hid_t object, const char* name, float value) {
    Handle attribute = createAttribute(object, name, H5T_IEEE_F32LE);
    checkStatus(H5Awrite(attribute.get(), H5T_NATIVE_FLOAT, &value),
                "cannot write " + where(object, name));
}

std::optional<std::string> readStringAttribute(hid_t object, const char* name) {
    Handle attribute = openScalarAttribute(object, name);
    if (!attribute.valid()) return std::nullopt;
    Handle fileType(check(H5Aget_type(attribute.get()), "cannot read " + where(object, name)));
    if (H5Tget_class(fileType.get()) != H5T_STRING) fail(where(object, name) + " is not a string");

    const htri_t isVariable = H5Tis_variable_str(fileType.get());
    checkStatus(isVariable, "cannot read " + where(object, name));
    if (isVariable > 0) {
        // Same character set as the file: HDF5 will not convert between ASCII and UTF-8.
        Handle memType = variableStringType();
        checkStatus(H5Tset_cset(memType.get(), H5Tget_cset(fileType.get())),
                    "cannot read " + where(object, name));
        char* pointer = nullptr;
        checkStatus(H5Aread(attribute.get(), memType.get(), &pointer),
                    "cannot read " + where(object, name));
        std::string value = pointer ? std::string(pointer) : std::string();
        H5free_memory(pointer);
        return value;
    }
    const size_t size = H5Tget_size(fileType.get());
    if (size == 0) fail("cannot read " + where(object, name) + " (zero-size string type)");
    Handle memType(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
    checkStatus(H5Tset_size(memType.get(), size + 1), "cannot create string type");
    std::vector<char> buffer(size + 1, '\0');
    checkStatus(H5Aread(attribute.get(), memType.get(), buffer.data()),
                "cannot read " + where(object, name));
    return std::string(buffer.data());
}

std::optional<int64_t> readInt64Attribute(hid_t object, const char* name) {
    Handle attribute = openScalarAttribute(object, name);
    if (!attribute.valid()) return std::nullopt;
    Handle fileType(check(H5Aget_type(attribute.get()), "cannot read " + where(object, name)));
    if (H5Tget_class(fileType.get()) != H5T_INTEGER)
        fail(where(object, name) + " is not an integer");
    int64_t value = 0;
    checkStatus(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value),
                "cannot read " + where(object, name));
    return value;
}

std::optional<float> readFloatAttribute(hid_t object, const char* name) {
    Handle attribute = openScalarAttribute(object, name);
    if (!attribute.valid()) return std::nullopt;
    Handle fileType(check(H5Aget_type(attribute.get()), "cannot read " + where(object, name)));
    const H5T_class_t typeClass = H5Tget_class(fileType.get());
    if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER)
        fail(where(object, name) + " is not a number");
    double value = 0;
    checkStatus(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value),
                "cannot read " + where(object, name));
    return static_cast<float>(value);
}

std::string requireStringAttribute(hid_t object, const char* name) {
    auto value = readStringAttribute(object, name);
    if (!value) fail("missing " + where(object, name));
    return *value;
}

int64_t requireInt64Attribute(hid_t object, const char* name) {
    auto value = readInt64Attribute(object, name);
    if (!value) fail("missing " + where(object, name));
    return *value;
}

float requireFloatAttribute(hid_t object, const char* name) {
    auto value = readFloatAttribute(object, name);
    if (!value) fail("missing " + where(object, name));
    return *value;
}

void requireJson(const std::string& text, const std::string& what) {
    // accept() validates without building the document.
    if (!nlohmann::json::accept(text)) fail(what + " is not valid JSON");
}

}  // namespace attnscope::store::detail
