#pragma once
// Scalar attributes: UTF-8 strings (variable length, so long prompts and configs do not hit
// the 64 KiB object-header limit), int64 and float.
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>

namespace attnscope::store::detail {

/// The HDF5 path of an object, for messages ("/runs/0").
std::string objectName(hid_t object);

void writeStringAttribute(hid_t object, const char* name, const std::string& value);
void writeInt64Attribute(hid_t object, const char* name, int64_t value);
void writeFloatAttribute(hid_t object, const char* name, float value);

/// nullopt when the attribute is absent; throws StoreError when it is not a string.
/// Accepts variable- and fixed-length strings (h5py may write either).
std::optional<std::string> readStringAttribute(hid_t object, const char* name);
std::optional<int64_t> readInt64Attribute(hid_t object, const char* name);
std::optional<float> readFloatAttribute(hid_t object, const char* name);

/// The attribute, or StoreError naming it and the object when it is absent.
std::string requireStringAttribute(hid_t object, const char* name);
int64_t requireInt64Attribute(hid_t object, const char* name);
float requireFloatAttribute(hid_t object, const char* name);

/// Throws StoreError naming `what` when `text` is not valid JSON.
void requireJson(const std::string& text, const std::string& what);

}  // namespace attnscope::store::detail
