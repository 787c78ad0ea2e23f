#pragma once
// Creating, writing and reading the datasets of a capture: float activations (float32 or
// IEEE half on disk), int64 arrays and variable-length UTF-8 strings.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/store/capture_types.h"
#include "hdf5_handle.h"

namespace attnscope::store::detail {

/// Little-endian IEEE binary16 as an HDF5 type (h5py maps it to numpy float16).
Handle halfFileType();
/// Whether `type` is an IEEE binary16 float of any byte order.
bool isIeeeHalf(hid_t type);

/// Number of elements of `shape`; StoreError when an extent is negative or the product
/// does not fit in memory addressing.
size_t elementCount(const std::vector<int64_t>& shape, const std::string& what);

struct FloatDatasetOptions {
    StorageType storage = StorageType::Float32;
    bool compress = false;
    int compressionLevel = 4;
    bool attentionMap = false;  ///< chunk as [1, query tile, key tile]
};

/// Creates `name` in `group` and writes `array` into it.
void writeFloatDataset(hid_t group, const std::string& name, const ArrayView& array,
                       const FloatDatasetOptions& options);
void writeInt64Dataset(hid_t group, const std::string& name, const int64_t* data,
                       const std::vector<int64_t>& shape);
void writeStringDataset(hid_t group, const std::string& name,
                        const std::vector<std::string>& values);

/// Whether `group` has a link called `name` (a single path component).
bool hasLink(hid_t group, const std::string& name);
/// Opens `name` in `group`; StoreError "missing dataset ..." when it is absent.
Handle openDataset(hid_t group, const std::string& name);
Handle openGroup(hid_t parent, const std::string& name);
/// Names of the links in `group`, in creation order when the group tracks it.
std::vector<std::string> linkNames(hid_t group);

std::vector<int64_t> datasetShape(hid_t dataset);
/// The box [start, start+count) of a float dataset as float32. Bounds are checked.
std::vector<float> readFloats(hid_t dataset, const std::vector<int64_t>& start,
                              const std::vector<int64_t>& count);
/// A whole integer dataset; `maxElements` guards against absurd declared sizes.
std::vector<int64_t> readInt64s(hid_t dataset, size_t maxElements);
std::vector<std::string> readStrings(hid_t dataset, size_t maxElements);

}  // namespace attnscope::store::detail
