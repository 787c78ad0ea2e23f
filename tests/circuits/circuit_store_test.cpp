// Circuits in HDF5 files: round trips through the store, h5py reading the edge table, and
// corrupt or lying files refused with the file and the problem named.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "attnscope/analysis/circuits/circuit_files.h"
#include "attnscope/analysis/circuits/circuit_store.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "circuit_test_support.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::analysis::circuits::test {
namespace {

using attnscope::test::TempDir;

void expectSame(const Circuit& a, const Circuit& b) {
    EXPECT_EQ(circuitToJson(a), circuitToJson(b));
}

TEST(CircuitStore, HdfRoundTrip) {
    TempDir dir;
    for (const auto& [layers, heads, kv] : {std::tuple{3, 4, 4}, std::tuple{2, 8, 2}}) {
        const Circuit c = randomCircuit(layers, heads, kv, 17);
        const std::string path = dir.file("c" + std::to_string(kv) + ".h5");
        writeCircuitFile(path, c);
        const Circuit back = readCircuitFile(path);
        expectSame(c, back);
        EXPECT_TRUE(std::isnan(back.scores[back.scores.size() / 2]));
    }
}

TEST(CircuitStore, FilesByExtensionAndContent) {
    TempDir dir;
    const Circuit c = randomCircuit(2, 4, 2, 4);
    writeCircuitFile(dir.file("c.json"), c);
    writeCircuitFile(dir.file("c.dot"), c);
    // Content decides, not the name: JSON under .h5 still reads.
    std::filesystem::copy_file(dir.file("c.json"), dir.file("json-named.h5"));
    expectSame(c, readCircuitFile(dir.file("c.json")));
    expectSame(c, readCircuitFile(dir.file("json-named.h5")));
    std::ifstream dot(dir.file("c.dot"));
    std::string first;
    std::getline(dot, first);
    EXPECT_EQ(first, "digraph circuit {");
    EXPECT_THROW(readCircuitFile(dir.file("missing.h5")), CircuitFormatError);
    // Unwritable places fail with an error and leave no temporary behind.
    EXPECT_THROW(writeCircuitFile(dir.file("no/such/dir/c.json"), c), CircuitFormatError);
    EXPECT_THROW(writeCircuitFile(dir.file("no/such/dir/c.h5"), c), store::StoreError);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(CircuitStore, CircuitsSitBesideScoreTables) {
    TempDir dir;
    const std::string path = dir.file("capture.h5");
    const Circuit a = randomCircuit(2, 4, 4, 1), b = randomCircuit(2, 4, 4, 2);
    {
        auto writer =
            store::CaptureWriter::create(path, {}, {"GPT2LMHeadModel", "{}", "float32", "fp"});
        writer.writeScores("sink_mass", "session", {2, 4, std::vector<float>(8, 0.5f)});
        writer.writeCircuit("first", circuitToRecord(a));
        writer.writeCircuit("second", circuitToRecord(a));
        writer.writeCircuit("second", circuitToRecord(b));  // replaces
        writer.commit();
    }
    store::CaptureReader reader(path);
    EXPECT_EQ(reader.resultMetrics(), std::vector<std::string>{"sink_mass"});
    EXPECT_EQ(reader.circuitNames(), (std::vector<std::string>{"first", "second"}));
    expectSame(a, circuitFromRecord(reader.readCircuit("first"), path));
    expectSame(b, circuitFromRecord(reader.readCircuit("second"), path));
    EXPECT_EQ(reader.readScores("sink_mass", "session").values, std::vector<float>(8, 0.5f));
}

TEST(CircuitStore, WriterRefusesInconsistentTables) {
    TempDir dir;
    auto writer = store::CaptureWriter::create(dir.file("w.h5"), {}, {"A", "{}", "float32", ""});
    store::CircuitRecord r = circuitToRecord(randomCircuit(1, 2, 2, 1));
    r.kept.pop_back();
    EXPECT_THROW(writer.writeCircuit("c", r), store::StoreError);
    r = circuitToRecord(randomCircuit(1, 2, 2, 1));
    r.port[3] = 'x';
    EXPECT_THROW(writer.writeCircuit("c", r), store::StoreError);
    r = circuitToRecord(randomCircuit(1, 2, 2, 1));
    r.parametersJson = "{";
    EXPECT_THROW(writer.writeCircuit("c", r), store::StoreError);
    EXPECT_THROW(writer.writeCircuit("a/b", circuitToRecord(randomCircuit(1, 2, 2, 1))),
                 store::StoreError);
}

// h5py, with no AttnScope code, reads the edge table and finds the JSON export's edges.
TEST(CircuitStore, H5pyReadsTheEdgeTable) {
    constexpr const char* kPython = "/usr/bin/python3";
    if (std::system((std::string(kPython) + " -c 'import h5py, numpy' 2>/dev/null").c_str()) != 0)
        GTEST_SKIP() << kPython << " with h5py and numpy is not installed";
    TempDir dir;
    const Circuit c = randomCircuit(2, 3, 3, 8);
    writeCircuitFile(dir.file("c.h5"), c);
    writeCircuitFile(dir.file("c.json"), c);
    const std::string script =
        (attnscope::test::sourceDir() / "tests/circuits/h5py_circuit_check.py").string();
    const std::string command = std::string(kPython) + " '" + script + "' '" + dir.file("c.h5") +
                                "' '" + dir.file("c.json") + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

// Rewrites one thing in a valid circuit file with the HDF5 C API.
void tamper(const std::string& path, const std::function<void(hid_t group)>& edit) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t group = H5Gopen2(file, "/results/circuits/circuit", H5P_DEFAULT);
    ASSERT_GE(group, 0);
    edit(group);
    H5Gclose(group);
    H5Fclose(file);
}

template <class T>
void setElement(hid_t group, const char* dataset, hsize_t index, hid_t memType, T value) {
    const hid_t d = H5Dopen2(group, dataset, H5P_DEFAULT);
    const hid_t space = H5Dget_space(d);
    H5Sselect_elements(space, H5S_SELECT_SET, 1, &index);
    const hsize_t one = 1;
    const hid_t mem = H5Screate_simple(1, &one, nullptr);
    // memType < 0: the dataset's own type (the one-character port strings).
    const hid_t type = memType < 0 ? H5Dget_type(d) : H5Tcopy(memType);
    H5Dwrite(d, type, mem, space, H5P_DEFAULT, &value);
    H5Tclose(type);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(d);
}

void setAttribute(hid_t group, const char* name, int64_t value) {
    const hid_t a = H5Aopen(group, name, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &value);
    H5Aclose(a);
}

void replaceWithInts(hid_t group, const char* dataset, hsize_t rows) {
    H5Ldelete(group, dataset, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(1, &rows, nullptr);
    const hid_t d =
        H5Dcreate2(group, dataset, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(space);
}

void expectRefused(const std::function<void(hid_t)>& edit, const std::string& part) {
    TempDir dir;
    const std::string path = dir.file("lying circuit.h5");
    writeCircuitFile(path, randomCircuit(2, 4, 2, 5));
    tamper(path, edit);
    try {
        readCircuitFile(path);
        FAIL() << "accepted a file with " << part;
    } catch (const std::exception& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("lying circuit.h5"), std::string::npos) << message;
        EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
    }
}

TEST(CircuitStore, LyingFilesAreRefused) {
    expectRefused([](hid_t g) { setElement<int32_t>(g, "sender", 7, H5T_NATIVE_INT32, 999); },
                  "edge row 7");
    expectRefused([](hid_t g) { setElement<int32_t>(g, "receiver", 0, H5T_NATIVE_INT32, -1); },
                  "edge row 0");
    expectRefused([](hid_t g) { setElement<char>(g, "port", 2, -1, 'x'); }, "port 'x'");
    expectRefused([](hid_t g) { setElement<uint8_t>(g, "kept", 4, H5T_NATIVE_UINT8, 7); },
                  "kept = 7");
    // Row 1 (input -> a0.h1<q>) claims to be row 0's edge (input -> a0.h0<q>).
    expectRefused([](hid_t g) { setElement<int32_t>(g, "receiver", 1, H5T_NATIVE_INT32, 1); },
                  "listed twice");
    // An MLP receiving on a q port, a sender after its receiver: edges the graph lacks.
    expectRefused([](hid_t g) { setElement<char>(g, "port", 0, -1, '-'); }, "has no edge");
    expectRefused([](hid_t g) { setElement<int32_t>(g, "sender", 0, H5T_NATIVE_INT32, 9); },
                  "has no edge");
    // A shape that disagrees with the node names and the rows.
    expectRefused([](hid_t g) { setAttribute(g, "heads", 2); }, "nodes");
    expectRefused([](hid_t g) { setAttribute(g, "kv_heads", 3); }, "graph shape");
    expectRefused([](hid_t g) { setAttribute(g, "layers", 0); }, "graph shape");
    expectRefused([](hid_t g) { replaceWithInts(g, "score", 5); }, "rows");
    expectRefused([](hid_t g) { H5Ldelete(g, "kept", H5P_DEFAULT); }, "kept");
    expectRefused(
        [](hid_t g) {
            hsize_t rows = 0;
            const hid_t d = H5Dopen2(g, "sender", H5P_DEFAULT);
            const hid_t s = H5Dget_space(d);
            H5Sget_simple_extent_dims(s, &rows, nullptr);
            H5Sclose(s);
            H5Dclose(d);
            replaceWithInts(g, "score", rows);
        },
        "wrong element type");
}

TEST(CircuitStore, TruncatedAndForeignFilesAreRefused) {
    TempDir dir;
    const std::string path = dir.file("c.h5");
    writeCircuitFile(path, randomCircuit(2, 4, 2, 5));
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size / 2);
    EXPECT_THROW(readCircuitFile(path), store::StoreError);
    // A capture with no circuit.
    {
        auto writer = store::CaptureWriter::create(dir.file("plain.h5"), {}, {"A", "{}", "f", ""});
        writer.commit();
    }
    try {
        readCircuitFile(dir.file("plain.h5"));
        FAIL();
    } catch (const CircuitFormatError& e) {
        EXPECT_NE(std::string(e.what()).find("holds no circuit"), std::string::npos);
    }
    dir.write("text.json", "not json at all");
    EXPECT_THROW(readCircuitFile(dir.file("text.json")), CircuitFormatError);
}

}  // namespace
}  // namespace attnscope::analysis::circuits::test
