// Fuzzes the JSON attributes (model config, capture spec, interventions, score params):
// the input, split at NUL bytes, is stored into those attributes of a valid capture; the
// reader must return valid JSON unchanged and reject anything else with a StoreError.
#include <hdf5.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "fuzz_scratch_file.h"

namespace {

using namespace attnscope::store;
namespace fs = std::filesystem;

const std::string& baseCapture() {
    static const std::string bytes = [] {
        const fs::path path = fuzz::scratchPath("json-base");
        CaptureWriter writer =
            CaptureWriter::create(path, {}, {"GPT2LMHeadModel", "{}", "float32", "fingerprint"});
        writer.beginRun({"prompt", {1, 2}, {"a", "b"}, {{{0, 1}}, {{1, 2}}}, "{}", "[]", -1});
        writer.writeScores("metric", "0", {1, 2, {0.5f, 0.25f}}, "{}");
        writer.commit();
        std::ifstream in(path, std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        fs::remove(path);
        return content;
    }();
    return bytes;
}

void setStringAttribute(hid_t file, const char* object, const char* name,
                        const std::string& value) {
    const hid_t target = H5Oopen(file, object, H5P_DEFAULT);
    H5Adelete(target, name);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* pointer = value.c_str();
    if (attribute < 0 || H5Awrite(attribute, type, &pointer) < 0) std::abort();
    H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
    H5Oclose(target);
}

// Valid JSON must come back unchanged; anything else must be refused with a StoreError.
template <class Read>
void expectRoundTrip(const std::string& text, Read read) {
    const bool valid = nlohmann::json::accept(text);
    try {
        if (read() != text) std::abort();
        if (!valid) std::abort();
    } catch (const StoreError&) {
        if (valid) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<std::string> parts(4);
    size_t part = 0;
    for (size_t i = 0; i < size && part < parts.size(); ++i) {
        if (data[i] == 0)
            ++part;
        else
            parts[part].push_back(static_cast<char>(data[i]));
    }

    const std::string& base = baseCapture();
    const fs::path& path = fuzz::scratchPath("json");
    fuzz::writeScratch(path, reinterpret_cast<const uint8_t*>(base.data()), base.size());
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) std::abort();
    setStringAttribute(file, "/model", "config_json", parts[0]);
    setStringAttribute(file, "/runs/0", "capture_spec", parts[1]);
    setStringAttribute(file, "/runs/0", "interventions", parts[2]);
    setStringAttribute(file, "/results/metric/0/scores", "params", parts[3]);
    H5Fclose(file);

    const CaptureReader reader(path);
    expectRoundTrip(parts[0], [&] { return reader.model().configJson; });
    // run() validates both JSON attributes; it succeeds only when both are valid.
    const bool bothValid = nlohmann::json::accept(parts[1]) && nlohmann::json::accept(parts[2]);
    try {
        const RunInfo run = reader.run(0);
        if (!bothValid || run.captureSpecJson != parts[1] || run.interventionsJson != parts[2])
            std::abort();
    } catch (const StoreError&) {
        if (bothValid) std::abort();
    }
    expectRoundTrip(parts[3], [&] { return reader.scoreParams("metric", "0"); });
    return 0;
}
