// Fuzzes the reader's checks on well-formed HDF5 files of arbitrary layout: the input
// decides which groups, datasets and attributes exist, with which names, types and shapes
// (attributes of the wrong type, runs named oddly, q/k/lse that do not fit, float64 or
// integer hooks, ...). The file is written with the HDF5 API, so HDF5's own decoder never
// sees corrupt bytes and every crash found is in our code.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attnscope/store/capture_format.h"
#include "fuzz_reader_walk.h"
#include "fuzz_scratch_file.h"

namespace {

using namespace attnscope::store;

hid_t stringType(bool variable, size_t size) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, variable ? H5T_VARIABLE : std::max<size_t>(size, 1));
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

std::string someJsonOrText(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
            return "{}";
        case 1:
            return "[{\"kind\": \"ablate\", \"layer\": 0}]";
        default:
            return in.ConsumeRandomLengthString(64);
    }
}

// An attribute that is absent, a string (variable or fixed), an integer, a float, or an
// array, as the input decides.
void maybeAttribute(FuzzedDataProvider& in, hid_t object, const char* name) {
    const int kind = in.ConsumeIntegralInRange(0, 6);
    if (kind == 0) return;
    hsize_t two = 2;
    const hid_t space = kind == 6 ? H5Screate_simple(1, &two, nullptr) : H5Screate(H5S_SCALAR);
    if (kind <= 2) {
        const std::string text = someJsonOrText(in);
        const hid_t type = stringType(kind == 1, text.size());
        const hid_t attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
        const char* pointer = text.c_str();
        if (kind == 1)
            H5Awrite(attribute, type, &pointer);
        else
            H5Awrite(attribute, type, text.c_str());
        H5Aclose(attribute);
        H5Tclose(type);
    } else if (kind == 3 || kind == 6) {
        const int64_t values[2] = {in.ConsumeIntegral<int64_t>(), in.ConsumeIntegral<int64_t>()};
        const hid_t attribute =
            H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attribute, H5T_NATIVE_INT64, values);
        H5Aclose(attribute);
    } else {
        const float choices[] = {0.125f,
                                 0.0f,
                                 -1.0f,
                                 std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::infinity(),
                                 30.0f,
                                 1e-30f};
        const float value = in.PickValueInArray(choices);
        const hid_t attribute =
            H5Acreate2(object, name, kind == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, space,
                       H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attribute, H5T_NATIVE_FLOAT, &value);
        H5Aclose(attribute);
    }
    H5Sclose(space);
}

// A dataset of input-chosen rank (0..4), small extents and element type.
void maybeDataset(FuzzedDataProvider& in, hid_t group, const std::string& name) {
    if (in.ConsumeIntegralInRange(0, 5) == 0) return;
    const int rank = in.ConsumeIntegralInRange(0, 4);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    hsize_t count = 1;
    for (hsize_t& d : dims)
        count *= (d = in.ConsumeIntegralInRange<hsize_t>(0, 9));
    const hid_t space =
        rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims.data(), nullptr);
    const int typeKind = in.ConsumeIntegralInRange(0, 5);
    hid_t fileType = -1;
    switch (typeKind) {
        case 0:
            fileType = H5Tcopy(H5T_IEEE_F32LE);
            break;
        case 1:  // IEEE half, as the writer makes it
            fileType = H5Tcopy(H5T_IEEE_F32LE);
            H5Tset_fields(fileType, 15, 10, 5, 0, 10);
            H5Tset_size(fileType, 2);
            H5Tset_ebias(fileType, 15);
            break;
        case 2:
            fileType = H5Tcopy(H5T_IEEE_F64BE);
            break;
        case 3:
            fileType = H5Tcopy(H5T_STD_I64LE);
            break;
        case 4:
            fileType = H5Tcopy(H5T_STD_I8LE);
            break;
        default:
            fileType = stringType(true, 0);
            break;
    }
    const hid_t dataset =
        H5Dcreate2(group, name.c_str(), fileType, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (dataset >= 0 && count > 0 && in.ConsumeBool()) {
        if (typeKind == 5) {
            std::vector<std::string> texts(count);
            std::vector<const char*> pointers(count);
            for (hsize_t i = 0; i < count; ++i) {
                texts[i] = in.ConsumeRandomLengthString(8);
                pointers[i] = texts[i].c_str();
            }
            H5Dwrite(dataset, fileType, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
        } else {
            std::vector<double> values(count);
            for (double& v : values)
                v = in.ConsumeFloatingPointInRange(-40.0, 40.0);
            H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        }
    }
    if (dataset >= 0) {
        for (const char* attribute : {"scale", "softcap", "params"})
            if (in.ConsumeBool()) maybeAttribute(in, dataset, attribute);
        H5Dclose(dataset);
    }
    H5Tclose(fileType);
    H5Sclose(space);
}

std::string pickName(FuzzedDataProvider& in, const std::vector<std::string>& usual) {
    if (in.ConsumeIntegralInRange(0, 7) == 0) return in.ConsumeRandomLengthString(12);
    return usual[in.ConsumeIntegralInRange<size_t>(0, usual.size() - 1)];
}

hid_t makeGroup(hid_t parent, const std::string& name) {
    return H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

void buildCapture(FuzzedDataProvider& in, hid_t file) {
    if (in.ConsumeIntegralInRange(0, 7) != 0) {
        const std::string format =
            in.ConsumeBool() ? kFormatName : in.ConsumeRandomLengthString(20);
        const hid_t type = stringType(true, 0);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t attribute = H5Acreate2(file, "format", type, space, H5P_DEFAULT, H5P_DEFAULT);
        const char* pointer = format.c_str();
        H5Awrite(attribute, type, &pointer);
        H5Aclose(attribute);
        H5Sclose(space);
        H5Tclose(type);
    } else {
        maybeAttribute(in, file, "format");
    }
    if (in.ConsumeIntegralInRange(0, 7) != 0) {
        const int64_t version = in.ConsumeBool() ? kFormatVersion : in.ConsumeIntegral<int64_t>();
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t attribute =
            H5Acreate2(file, "format_version", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attribute, H5T_NATIVE_INT64, &version);
        H5Aclose(attribute);
        H5Sclose(space);
    } else {
        maybeAttribute(in, file, "format_version");
    }

    if (in.ConsumeIntegralInRange(0, 7) != 0) {
        const hid_t model = makeGroup(file, "model");
        for (const char* name : {"architecture", "config_json", "dtype", "fingerprint"})
            maybeAttribute(in, model, name);
        H5Gclose(model);
    }
    const hid_t runs = makeGroup(file, "runs");
    const int runCount = in.ConsumeIntegralInRange(0, 3);
    for (int r = 0; r < runCount; ++r) {
        const std::string name = in.ConsumeIntegralInRange(0, 9) == 0
                                     ? in.ConsumeRandomLengthString(4)
                                     : std::to_string(r);
        const hid_t run = makeGroup(runs, name);
        if (run < 0) continue;
        for (const char* attribute : {"prompt", "capture_spec", "interventions", "generation_step"})
            maybeAttribute(in, run, attribute);
        for (const char* dataset : {"input_ids", "tokens", "offsets"})
            maybeDataset(in, run, dataset);
        if (in.ConsumeIntegralInRange(0, 7) != 0) {
            const hid_t hooks = makeGroup(run, "hooks");
            const std::vector<std::string> usual = {
                patternHookName(0), rotQHookName(0),    rotKHookName(0),
                lseHookName(0),     patternHookName(1), rotQHookName(1),
                rotKHookName(1),    lseHookName(1),     "logits"};
            const int hookCount = in.ConsumeIntegralInRange(0, 8);
            for (int h = 0; h < hookCount; ++h)
                maybeDataset(in, hooks, pickName(in, usual));
            H5Gclose(hooks);
        }
        H5Gclose(run);
    }
    H5Gclose(runs);

    if (in.ConsumeBool()) {
        const hid_t results = makeGroup(file, "results");
        const hid_t metric = makeGroup(results, pickName(in, {"sink_mass", "retrieval"}));
        const hid_t key = metric >= 0 ? makeGroup(metric, pickName(in, {"0", "all"})) : -1;
        if (key >= 0) maybeDataset(in, key, pickName(in, {"scores"}));
        if (key >= 0) H5Gclose(key);
        if (metric >= 0) H5Gclose(metric);
        H5Gclose(results);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the builder's own failures are expected
    const auto& path = fuzz::scratchPath("structure");
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return 0;
    buildCapture(in, file);
    H5Fclose(file);
    fuzz::openAndWalk(path);
    return 0;
}
