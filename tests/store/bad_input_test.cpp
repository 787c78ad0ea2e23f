// Bad files and bad calls give a StoreError naming the file and the problem, never a crash,
// and never HDF5's own error stack on stderr.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <fstream>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "store_test_support.h"

namespace attnscope::store::test {
namespace {

namespace fs = std::filesystem;

// A valid two-run capture to damage.
void writeValidCapture(const fs::path& path) {
    CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
    for (int run = 0; run < 2; ++run) {
        writer.beginRun(sampleRun(6));
        const std::vector<float> pattern = randomValues(2 * 6 * 6, run);
        writer.writeHook(patternHookName(0), {pattern.data(), {2, 6, 6}});
        const std::vector<float> q = randomValues(6 * 2 * 4, 10 + run);
        writer.writeHook(rotQHookName(1), {q.data(), {6, 2, 4}});
        writer.writeHook(rotKHookName(1), {q.data(), {6, 2, 4}});
        const std::vector<float> lse(2 * 6, 1.0f);
        writer.writeLse(1, {lse.data(), {2, 6}}, 0.5f, 0.0f);
    }
    writer.commit();
}

// Opens the file with plain HDF5 and lets `edit` damage it.
template <class Edit>
void editFile(const fs::path& path, Edit edit) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    edit(file);
    H5Fclose(file);
}

void setStringAttribute(hid_t object, const char* name, const std::string& value) {
    if (H5Aexists(object, name) > 0) H5Adelete(object, name);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* pointer = value.c_str();
    H5Awrite(attribute, type, &pointer);
    H5Aclose(attribute);
    H5Sclose(space);
    H5Tclose(type);
}

void setInt64Attribute(hid_t object, const char* name, int64_t value) {
    if (H5Aexists(object, name) > 0) H5Adelete(object, name);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute =
        H5Acreate2(object, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT64, &value);
    H5Aclose(attribute);
    H5Sclose(space);
}

void replaceWithFloats(hid_t file, const char* path, std::vector<hsize_t> dims) {
    H5Ldelete(file, path, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
    const hid_t dataset =
        H5Dcreate2(file, path, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(dataset);
    H5Sclose(space);
}

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        m_path = m_dir / "capture.h5";
        writeValidCapture(m_path);
    }
    TempDir m_dir;
    fs::path m_path;
};

TEST_F(BadInput, MissingFile) {
    expectStoreError([&] { CaptureReader reader(m_dir / "absent.h5"); },
                     {"absent.h5", "no such file"});
}

TEST_F(BadInput, NotAnHdf5FileAndHdf5StaysQuiet) {
    const fs::path text = m_dir / "notes.h5";
    std::ofstream(text) << "these are not the bytes you are looking for\n";
    testing::internal::CaptureStderr();
    expectStoreError([&] { CaptureReader reader(text); }, {"notes.h5", "not a readable HDF5 file"});
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    expectStoreError([&] { CaptureReader reader(m_dir.path()); }, {"not a regular file"});
}

TEST_F(BadInput, Hdf5FileOfAnotherKind) {
    const fs::path other = m_dir / "other.h5";
    H5Fclose(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    expectStoreError([&] { CaptureReader reader(other); },
                     {"other.h5", "not an AttnScope capture"});
    editFile(other, [](hid_t file) { setStringAttribute(file, "format", "something-else"); });
    expectStoreError([&] { CaptureReader reader(other); }, {"'something-else'"});
    expectStoreError([&] { CaptureWriter::append(other, {}); },
                     {"other.h5", "not an AttnScope capture"});
}

TEST_F(BadInput, OtherFormatVersion) {
    editFile(m_path,
             [](hid_t file) { setInt64Attribute(file, "format_version", kFormatVersion + 1); });
    expectStoreError([&] { CaptureReader reader(m_path); },
                     {"capture.h5", "format version 2 is not supported", "reads version 1"});
    editFile(m_path, [](hid_t file) { setStringAttribute(file, "format_version", "1"); });
    expectStoreError([&] { CaptureReader reader(m_path); }, {"'format_version'", "not an integer"});
}

TEST_F(BadInput, TruncatedFile) {
    const std::string bytes = readBytes(m_path);
    for (size_t keep : {bytes.size() / 2, bytes.size() - 100, size_t{2000}, size_t{10}}) {
        const fs::path cut = m_dir / "cut.h5";
        std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(keep));
        try {
            CaptureReader reader(cut);
            // Opening may succeed when only data at the end is gone; reading must still fail
            // cleanly or give values, never crash.
            for (int64_t run = 0; run < reader.runCount(); ++run) {
                reader.run(run);
                reader.readHeadPattern(run, 0, 1);
                reader.readHeadPattern(run, 1, 1);
            }
        } catch (const StoreError& error) {
            EXPECT_NE(std::string(error.what()).find("cut.h5"), std::string::npos) << error.what();
        }
        fs::remove(cut);
    }
    const fs::path cut = m_dir / "cut.h5";
    std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
    expectStoreError([&] { CaptureReader reader(cut); }, {"cut.h5", "truncated"});
}

TEST_F(BadInput, MissingDatasetsAndGroups) {
    editFile(m_path, [](hid_t file) {
        H5Ldelete(file, "/runs/0/input_ids", H5P_DEFAULT);
        H5Ldelete(file, "/runs/1/hooks/blocks.1.attn.hook_rot_k", H5P_DEFAULT);
    });
    {
        CaptureReader reader(m_path);
        expectStoreError([&] { reader.run(0); },
                         {"capture.h5", "missing dataset 'input_ids'", "/runs/0"});
        EXPECT_FALSE(reader.hasPattern(1, 1));
        expectStoreError([&] { reader.readHeadPattern(1, 1, 0); },
                         {"no attention pattern for layer 1", "hook_rot_k"});
        expectStoreError([&] { reader.readHook(0, "blocks.7.hook_resid_post"); },
                         {"run 0 has no hook 'blocks.7.hook_resid_post'"});
    }  // HDF5 will not open a file read-write while this process has it open read-only
    editFile(m_path, [](hid_t file) { H5Ldelete(file, "/model", H5P_DEFAULT); });
    expectStoreError([&] { CaptureReader again(m_path); }, {"missing group 'model'"});
}

TEST_F(BadInput, WrongShapes) {
    editFile(m_path, [](hid_t file) {
        replaceWithFloats(file, "/runs/0/hooks/blocks.1.attn.hook_pattern_lse", {2, 5});
        replaceWithFloats(file, "/runs/1/hooks/blocks.0.attn.hook_pattern", {2, 36});
        replaceWithFloats(file, "/runs/1/offsets", {6, 3});
    });
    CaptureReader reader(m_path);
    expectStoreError([&] { reader.readHeadPattern(0, 1, 0); },
                     {"capture.h5", "do not fit together", "[2, 5]"});
    expectStoreError([&] { reader.readHeadPattern(1, 0, 0); }, {"expected [head, query, key]"});
    expectStoreError([&] { reader.run(1); }, {"offsets", "is not [6, 2]"});
}

TEST_F(BadInput, MalformedAttributes) {
    editFile(m_path, [](hid_t file) {
        const hid_t run = H5Gopen2(file, "/runs/0", H5P_DEFAULT);
        setStringAttribute(run, "capture_spec", "{\"hooks\": [");
        H5Gclose(run);
        const hid_t model = H5Gopen2(file, "/model", H5P_DEFAULT);
        setInt64Attribute(model, "architecture", 7);
        H5Gclose(model);
        const hid_t lse =
            H5Dopen2(file, "/runs/1/hooks/blocks.1.attn.hook_pattern_lse", H5P_DEFAULT);
        H5Adelete(lse, "scale");
        H5Dclose(lse);
    });
    CaptureReader reader(m_path);
    expectStoreError([&] { reader.run(0); }, {"capture_spec", "not valid JSON"});
    expectStoreError([&] { reader.model(); }, {"'architecture'", "not a string"});
    expectStoreError([&] { reader.readHeadPattern(1, 1, 0); }, {"missing attribute 'scale'"});
}

TEST_F(BadInput, RunsMustBeNumberedFromZero) {
    editFile(m_path, [](hid_t file) {
        H5Lmove(file, "/runs/1", file, "/runs/7", H5P_DEFAULT, H5P_DEFAULT);
    });
    expectStoreError([&] { CaptureReader reader(m_path); }, {"'/runs' holds '7'"});
}

TEST_F(BadInput, OutOfRangeRequests) {
    CaptureReader reader(m_path);
    expectStoreError([&] { reader.run(2); }, {"run 2 does not exist", "2 runs"});
    expectStoreError([&] { reader.hooks(-1); }, {"run -1 does not exist"});
    expectStoreError([&] { reader.readHeadPattern(0, 0, 2); }, {"head 2 does not exist"});
    expectStoreError([&] { reader.readHeadPattern(0, -1, 0); }, {"layer -1"});
    expectStoreError([&] { reader.readPatternTile(0, 0, 0, 0, 7, 0, 6); }, {"outside the 6 x 6"});
    expectStoreError([&] { reader.readPatternTile(0, 1, 0, 3, 2, 0, 6); }, {"outside"});
    expectStoreError(
        [&] {
            reader.readSlab(0, patternHookName(0), {0, 0, 5}, {1, 1, 2});
        },
        {"out of bounds in dimension 2"});
    expectStoreError([&] { reader.readSlab(0, patternHookName(0), {0, 0}, {1, 1}); }, {"rank"});
    expectStoreError([&] { reader.readHook(0, "runs/../x"); }, {"cannot be an HDF5 name"});
    expectStoreError([&] { reader.readScores("sink_mass", "0"); }, {"missing group 'results'"});
    EXPECT_TRUE(reader.resultMetrics().empty());
}

TEST_F(BadInput, WriterRejectsBadCalls) {
    const fs::path path = m_dir / "new.h5";
    ModelInfo badModel = sampleModel();
    badModel.configJson = "{not json";
    expectStoreError([&] { CaptureWriter::create(path, {}, badModel); },
                     {"new.h5", "model config"});
    expectStoreError(
        [&] {
            CaptureWriter::create(path, {StorageType::Float32, true, 12}, sampleModel());
        },
        {"compression level 12"});
    expectStoreError([&] { CaptureWriter::append(m_dir / "absent.h5", {}); },
                     {"no such capture file"});

    CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
    const std::vector<float> values(8, 1.0f);
    expectStoreError([&] { writer.writeHook("logits", {values.data(), {2, 4}}); }, {"beginRun"});
    RunInfo mismatched = sampleRun(4);
    mismatched.tokens.pop_back();
    expectStoreError([&] { writer.beginRun(mismatched); }, {"4 input ids, 3 token strings"});
    RunInfo badSpec = sampleRun(4);
    badSpec.interventionsJson = "[{]";
    expectStoreError([&] { writer.beginRun(badSpec); }, {"interventions", "not valid JSON"});

    writer.beginRun(sampleRun(4));
    writer.writeHook("logits", {values.data(), {2, 4}});
    expectStoreError(
        [&] {
            writer.writeHook("logits", {values.data(), {2, 4}});
        },
        {"already exists"});
    expectStoreError(
        [&] {
            writer.writeHook("a/b", {values.data(), {2, 4}});
        },
        {"cannot be an HDF5 name"});
    expectStoreError([&] { writer.writeHook("x", {nullptr, {2, 4}}); }, {"has no data"});
    expectStoreError([&] { writer.writeHook("y", {values.data(), {2, -4}}); }, {"negative extent"});
    expectStoreError([&] { writer.writeHook("z", {values.data(), {}}); }, {"no dimensions"});
    expectStoreError(
        [&] {
            writer.writeLse(0, {values.data(), {8}}, 0.5f, 0.0f);
        },
        {"[head, query]"});
    expectStoreError([&] { writer.writeLse(0, {values.data(), {2, 4}}, 0.0f, 0.0f); }, {"scale"});
    expectStoreError(
        [&] {
            writer.writeScores("m", "k", {2, 2, {1.0f}});
        },
        {"1 values for 2 layers x 2 heads"});
    writer.commit();
    expectStoreError([&] { writer.beginRun(sampleRun(1)); }, {"already committed"});
    expectStoreError([&] { writer.commit(); }, {"already committed"});
    EXPECT_EQ(CaptureReader(path).readHook(0, "logits"), values);

    CaptureWriter moved = std::move(writer);
    expectStoreError([&] { writer.commit(); }, {"moved-from"});  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace attnscope::store::test
