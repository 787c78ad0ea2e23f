#include "dataset_io.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "chunk_layout.h"
#include "half_float.h"
#include "hdf5_attributes.h"

namespace attnscope::store::detail {

namespace {

// Converting to half in blocks bounds the extra memory a float16 write needs.
constexpr size_t kConversionBlockElements = size_t{4} << 20;

Handle halfType(hid_t baseFloat) {
    Handle type(check(H5Tcopy(baseFloat), "cannot create float16 type"));
    // Shrink the 32-bit layout to sign bit 15, exponent 10..14, mantissa 0..9, bias 15.
    // The fields have to move before the size can shrink.
    checkStatus(H5Tset_fields(type.get(), 15, 10, 5, 0, 10), "cannot create float16 type");
    checkStatus(H5Tset_size(type.get(), 2), "cannot create float16 type");
    checkStatus(H5Tset_ebias(type.get(), 15), "cannot create float16 type");
    return type;
}

Handle nativeHalfType() {
    return halfType(H5T_NATIVE_FLOAT);
}

std::string datasetWhere(hid_t dataset) {
    return "dataset '" + objectName(dataset) + "'";
}

Handle simpleSpace(const std::vector<hsize_t>& dims) {
    return Handle(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                        "cannot create dataspace"));
}

std::vector<hsize_t> toDims(const std::vector<int64_t>& shape) {
    return std::vector<hsize_t>(shape.begin(), shape.end());
}

Handle createDataset(hid_t group, const std::string& name, hid_t fileType,
                     const std::vector<int64_t>& shape, const std::vector<hsize_t>& chunk,
                     bool compress, int level) {
    Handle space = simpleSpace(toDims(shape));
    Handle dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "cannot create property list"));
    // Every element is written, so HDF5 need not pre-fill chunks (HDF5 insists on a fill
    // value for variable-length strings, though).
    if (H5Tis_variable_str(fileType) <= 0)
        checkStatus(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "cannot set fill time");
    if (!chunk.empty()) {
        checkStatus(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                    "cannot set chunking of '" + name + "'");
        if (compress) {
            if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
                fail("this HDF5 library has no deflate filter");
            checkStatus(H5Pset_shuffle(dcpl.get()), "cannot enable shuffle");
            checkStatus(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(level)),
                        "cannot enable deflate");
        }
    }
    const std::string what = "cannot create dataset '" + name + "' in '" + objectName(group) + "'";
    if (hasLink(group, name)) fail(what + ": it already exists");
    return Handle(check(H5Dcreate2(group, name.c_str(), fileType, space.get(), H5P_DEFAULT,
                                   dcpl.get(), H5P_DEFAULT),
                        what));
}

void writeBox(hid_t dataset, hid_t memType, const void* data, const std::vector<hsize_t>& start,
              const std::vector<hsize_t>& count) {
    Handle fileSpace(check(H5Dget_space(dataset), "cannot get dataspace"));
    checkStatus(H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start.data(), nullptr,
                                    count.data(), nullptr),
                "cannot select hyperslab");
    Handle memSpace = simpleSpace(count);
    checkStatus(H5Dwrite(dataset, memType, memSpace.get(), fileSpace.get(), H5P_DEFAULT, data),
                "cannot write " + datasetWhere(dataset));
}

}  // namespace

Handle halfFileType() {
    return halfType(H5T_IEEE_F32LE);
}

bool isIeeeHalf(hid_t type) {
    if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 2) return false;
    size_t signPos = 0, expPos = 0, expSize = 0, mantPos = 0, mantSize = 0;
    if (H5Tget_fields(type, &signPos, &expPos, &expSize, &mantPos, &mantSize) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    const H5T_order_t order = H5Tget_order(type);
    return signPos == 15 && expPos == 10 && expSize == 5 && mantPos == 0 && mantSize == 10 &&
           H5Tget_ebias(type) == 15 && H5Tget_norm(type) == H5T_NORM_IMPLIED &&
           order == H5Tget_order(H5T_NATIVE_FLOAT);
}

size_t elementCount(const std::vector<int64_t>& shape, const std::string& what) {
    size_t count = 1;
    const size_t limit = std::numeric_limits<size_t>::max() / 16;
    for (int64_t extent : shape) {
        if (extent < 0) fail(what + " has a negative extent");
        if (extent != 0 && count > limit / static_cast<size_t>(extent))
            fail(what + " is too large to address");
        count *= static_cast<size_t>(extent);
    }
    return count;
}

void writeFloatDataset(hid_t group, const std::string& name, const ArrayView& array,
                       const FloatDatasetOptions& options) {
    if (array.shape.empty()) fail("array for '" + name + "' has no dimensions");
    const size_t count = elementCount(array.shape, "array for '" + name + "'");
    if (count > 0 && array.data == nullptr) fail("array for '" + name + "' has no data");

    const bool half = options.storage == StorageType::Float16;
    Handle fileType = half ? halfFileType() : Handle(check(H5Tcopy(H5T_IEEE_F32LE), "type"));
    const std::vector<hsize_t> chunk = chooseChunk(array.shape, half ? 2 : 4, options.attentionMap);
    Handle dataset = createDataset(group, name, fileType.get(), array.shape, chunk,
                                   options.compress, options.compressionLevel);
    if (count == 0) return;

    if (!half) {
        checkStatus(
            H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, array.data),
            "cannot write " + datasetWhere(dataset.get()));
        return;
    }

    // Blocks along the leading dimension, whole chunks at a time so that HDF5 never has to
    // read back a half-written chunk.
    const std::vector<hsize_t> dims = toDims(array.shape);
    const size_t rowElements = count / dims[0];
    const hsize_t chunkRows = chunk.empty() ? 1 : chunk[0];
    hsize_t blockRows =
        std::max<hsize_t>(1, kConversionBlockElements / std::max<size_t>(1, rowElements));
    blockRows = std::max(chunkRows, blockRows / chunkRows * chunkRows);
    Handle memType = nativeHalfType();
    std::vector<uint16_t> buffer(std::min<size_t>(count, blockRows * rowElements));
    for (hsize_t row = 0; row < dims[0]; row += blockRows) {
        const hsize_t rows = std::min(blockRows, dims[0] - row);
        floatsToHalves(array.data + row * rowElements, buffer.data(), rows * rowElements);
        std::vector<hsize_t> start(dims.size(), 0), boxCount = dims;
        start[0] = row;
        boxCount[0] = rows;
        writeBox(dataset.get(), memType.get(), buffer.data(), start, boxCount);
    }
}

void writeInt64Dataset(hid_t group, const std::string& name, const int64_t* data,
                       const std::vector<int64_t>& shape) {
    const size_t count = elementCount(shape, "array for '" + name + "'");
    Handle dataset = createDataset(group, name, H5T_STD_I64LE, shape, {}, false, 0);
    if (count == 0) return;
    checkStatus(H5Dwrite(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                "cannot write " + datasetWhere(dataset.get()));
}

void writeStringDataset(hid_t group, const std::string& name,
                        const std::vector<std::string>& values) {
    Handle type(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
    checkStatus(H5Tset_size(type.get(), H5T_VARIABLE), "cannot create string type");
    checkStatus(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot create string type");
    Handle dataset =
        createDataset(group, name, type.get(), {static_cast<int64_t>(values.size())}, {}, false, 0);
    if (values.empty()) return;
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const std::string& value : values)
        pointers.push_back(value.c_str());
    checkStatus(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                "cannot write " + datasetWhere(dataset.get()));
}

bool hasLink(hid_t group, const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos) return false;
    const htri_t exists = H5Lexists(group, name.c_str(), H5P_DEFAULT);
    checkStatus(exists, "cannot look up '" + name + "' in '" + objectName(group) + "'");
    return exists > 0;
}

Handle openDataset(hid_t group, const std::string& name) {
    if (!hasLink(group, name))
        fail("missing dataset '" + name + "' in '" + objectName(group) + "'");
    Handle dataset(H5Dopen2(group, name.c_str(), H5P_DEFAULT));
    if (!dataset.valid())
        fail("'" + name + "' in '" + objectName(group) + "' is not a readable dataset (" +
             takeHdf5ErrorMessage() + ")");
    return dataset;
}

Handle openGroup(hid_t parent, const std::string& name) {
    if (!hasLink(parent, name))
        fail("missing group '" + name + "' in '" + objectName(parent) + "'");
    Handle group(H5Gopen2(parent, name.c_str(), H5P_DEFAULT));
    if (!group.valid())
        fail("'" + name + "' in '" + objectName(parent) + "' is not a group (" +
             takeHdf5ErrorMessage() + ")");
    return group;
}

namespace {

herr_t collectLinkName(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* data) {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
}

}  // namespace

std::vector<std::string> linkNames(hid_t group) {
    std::vector<std::string> names;
    Handle gcpl(check(H5Gget_create_plist(group), "cannot inspect '" + objectName(group) + "'"));
    unsigned orderFlags = 0;
    checkStatus(H5Pget_link_creation_order(gcpl.get(), &orderFlags),
                "cannot inspect '" + objectName(group) + "'");
    const H5_index_t index =
        (orderFlags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    hsize_t position = 0;
    checkStatus(H5Literate(group, index, H5_ITER_INC, &position, collectLinkName, &names),
                "cannot list '" + objectName(group) + "'");
    return names;
}

std::vector<int64_t> datasetShape(hid_t dataset) {
    Handle space(check(H5Dget_space(dataset), "cannot get dataspace of " + datasetWhere(dataset)));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail(datasetWhere(dataset) + " has an unreadable dataspace");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        fail(datasetWhere(dataset) + " has an unreadable dataspace");
    std::vector<int64_t> shape;
    for (hsize_t d : dims) {
        if (d > static_cast<hsize_t>(std::numeric_limits<int64_t>::max()))
            fail(datasetWhere(dataset) + " has an impossible extent");
        shape.push_back(static_cast<int64_t>(d));
    }
    return shape;
}

std::vector<float> readFloats(hid_t dataset, const std::vector<int64_t>& start,
                              const std::vector<int64_t>& count) {
    const std::string where = datasetWhere(dataset);
    const std::vector<int64_t> shape = datasetShape(dataset);
    if (start.size() != shape.size() || count.size() != shape.size())
        fail("read of " + where + " has rank " + std::to_string(start.size()) +
             " but the dataset has rank " + std::to_string(shape.size()));
    for (size_t i = 0; i < shape.size(); ++i) {
        if (start[i] < 0 || count[i] < 0 || start[i] > shape[i] || count[i] > shape[i] - start[i])
            fail("read of " + where + " is out of bounds in dimension " + std::to_string(i));
    }
    Handle fileType(check(H5Dget_type(dataset), "cannot get type of " + where));
    if (H5Tget_class(fileType.get()) != H5T_FLOAT) fail(where + " does not hold floats");

    const size_t n = elementCount(count, where);
    std::vector<float> values(n);
    if (n == 0) return values;

    Handle fileSpace(check(H5Dget_space(dataset), "cannot get dataspace of " + where));
    if (!shape.empty()) {
        const std::vector<hsize_t> hStart = toDims(start), hCount = toDims(count);
        checkStatus(H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, hStart.data(), nullptr,
                                        hCount.data(), nullptr),
                    "cannot select part of " + where);
    }
    Handle memSpace = shape.empty() ? Handle(check(H5Screate(H5S_SCALAR), "dataspace"))
                                    : simpleSpace(toDims(count));
    if (isIeeeHalf(fileType.get())) {
        // Read the raw halves into the front of the output and widen them in place, from the
        // back, so that no second buffer is needed: element i's float overwrites halves
        // 2i and 2i+1, which were already consumed.
        Handle memType = nativeHalfType();
        checkStatus(H5Dread(dataset, memType.get(), memSpace.get(), fileSpace.get(), H5P_DEFAULT,
                            values.data()),
                    "cannot read " + where);
        auto* bytes = reinterpret_cast<unsigned char*>(values.data());
        for (size_t i = n; i-- > 0;) {
            uint16_t half;
            std::memcpy(&half, bytes + 2 * i, sizeof half);
            values[i] = halfToFloat(half);
        }
        return values;
    }
    checkStatus(H5Dread(dataset, H5T_NATIVE_FLOAT, memSpace.get(), fileSpace.get(), H5P_DEFAULT,
                        values.data()),
                "cannot read " + where);
    return values;
}

std::vector<int64_t> readInt64s(hid_t dataset, size_t maxElements) {
    const std::string where = datasetWhere(dataset);
    Handle fileType(check(H5Dget_type(dataset), "cannot get type of " + where));
    if (H5Tget_class(fileType.get()) != H5T_INTEGER) fail(where + " does not hold integers");
    const size_t n = elementCount(datasetShape(dataset), where);
    if (n > maxElements) fail(where + " has more elements than a capture allows");
    std::vector<int64_t> values(n);
    if (n == 0) return values;
    checkStatus(H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                "cannot read " + where);
    return values;
}

std::vector<std::string> readStrings(hid_t dataset, size_t maxElements) {
    const std::string where = datasetWhere(dataset);
    Handle fileType(check(H5Dget_type(dataset), "cannot get type of " + where));
    if (H5Tget_class(fileType.get()) != H5T_STRING) fail(where + " does not hold strings");
    const std::vector<int64_t> shape = datasetShape(dataset);
    if (shape.size() != 1) fail(where + " is not one-dimensional");
    const size_t n = elementCount(shape, where);
    if (n > maxElements) fail(where + " has more elements than a capture allows");
    std::vector<std::string> values;
    if (n == 0) return values;
    values.reserve(n);

    const htri_t isVariable = H5Tis_variable_str(fileType.get());
    checkStatus(isVariable, "cannot read " + where);
    if (isVariable > 0) {
        Handle memType(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
        checkStatus(H5Tset_size(memType.get(), H5T_VARIABLE), "cannot create string type");
        checkStatus(H5Tset_cset(memType.get(), H5Tget_cset(fileType.get())),
                    "cannot create string type");
        std::vector<char*> pointers(n, nullptr);
        const herr_t status =
            H5Dread(dataset, memType.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
        const std::string error = status < 0 ? takeHdf5ErrorMessage() : std::string();
        for (char* p : pointers) {
            values.emplace_back(p ? p : "");
            H5free_memory(p);
        }
        if (status < 0) fail("cannot read " + where + " (" + error + ")");
        return values;
    }
    const size_t size = H5Tget_size(fileType.get());
    if (size == 0 || size > (size_t{1} << 20)) fail(where + " has an unusable string size");
    Handle memType(check(H5Tcopy(H5T_C_S1), "cannot create string type"));
    checkStatus(H5Tset_size(memType.get(), size + 1), "cannot create string type");
    std::vector<char> buffer(n * (size + 1), '\0');
    checkStatus(H5Dread(dataset, memType.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
                "cannot read " + where);
    for (size_t i = 0; i < n; ++i)
        values.emplace_back(buffer.data() + i * (size + 1));
    return values;
}

}  // namespace attnscope::store::detail
