#include "capture_layout.h"

#include <algorithm>
#include <vector>

#include "attnscope/store/capture_format.h"
#include "dataset_io.h"
#include "hdf5_attributes.h"
#include "hdf5_handle.h"

namespace attnscope::store::detail {

void checkFormat(hid_t file) {
    const auto format = readStringAttribute(file, "format");
    if (!format || *format != kFormatName)
        fail("not an AttnScope capture file (root attribute 'format' is " +
             (format ? "'" + *format + "'" : std::string("missing")) + ", expected '" +
             kFormatName + "')");
    const auto version = readInt64Attribute(file, "format_version");
    if (!version) fail("capture file has no 'format_version' attribute");
    if (*version != kFormatVersion)
        fail("capture format version " + std::to_string(*version) +
             " is not supported (this AttnScope reads version " + std::to_string(kFormatVersion) +
             ")");
}

int64_t countRuns(hid_t runsGroup) {
    const std::vector<std::string> names = linkNames(runsGroup);
    std::vector<bool> seen(names.size(), false);
    for (const std::string& name : names) {
        const bool digits =
            !name.empty() && name.size() < 12 &&
            std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
        const size_t index = digits ? std::stoul(name) : names.size();
        if (index >= names.size() || seen[index] || (name.size() > 1 && name[0] == '0'))
            fail("'/runs' holds '" + name + "', but runs must be named 0.." +
                 std::to_string(names.size() - 1));
        seen[index] = true;
    }
    return static_cast<int64_t>(names.size());
}

void checkLinkName(const std::string& name, const std::string& what) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
        fail(what + " '" + name + "' cannot be an HDF5 name (empty, '.' or containing '/')");
}

hid_t createOrderedGroup(hid_t parent, const std::string& name) {
    Handle gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "cannot create property list"));
    checkStatus(
        H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "cannot track creation order");
    return check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                 "cannot create group '" + name + "'");
}

}  // namespace attnscope::store::detail
