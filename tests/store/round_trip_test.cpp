// Captures written and read back through the public API: values, metadata, layout.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <limits>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "store_test_support.h"

namespace attnscope::store::test {
namespace {

namespace fs = std::filesystem;

struct Hook {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
};

std::vector<Hook> sampleHooks(int64_t tokens, uint32_t seed) {
    const int64_t heads = 4, dHead = 8, dModel = 32, vocab = 50;
    std::vector<Hook> hooks = {
        {"blocks.0.attn.hook_pattern", {heads, tokens, tokens}, {}},
        {"blocks.0.attn.hook_z", {tokens, heads, dHead}, {}},
        {"blocks.2.hook_resid_post", {tokens, dModel}, {}},
        // Written after layer 2 on purpose: listing must follow writing order, not names.
        {"blocks.10.hook_resid_post", {tokens, dModel}, {}},
        {"logits", {tokens, vocab}, {}},
    };
    for (Hook& hook : hooks)
        hook.values = randomValues(elementCount(hook.shape), seed++);
    return hooks;
}

void writeHooks(CaptureWriter& writer, const std::vector<Hook>& hooks) {
    for (const Hook& hook : hooks)
        writer.writeHook(hook.name, {hook.values.data(), hook.shape});
}

void expectRunInfo(const RunInfo& expected, const RunInfo& actual) {
    EXPECT_EQ(actual.prompt, expected.prompt);
    EXPECT_EQ(actual.inputIds, expected.inputIds);
    EXPECT_EQ(actual.tokens, expected.tokens);
    EXPECT_EQ(actual.offsets, expected.offsets);
    EXPECT_EQ(actual.captureSpecJson, expected.captureSpecJson);
    EXPECT_EQ(actual.interventionsJson, expected.interventionsJson);
    EXPECT_EQ(actual.generationStep, expected.generationStep);
}

TEST(RoundTrip, Float32ValuesAndMetadataComeBackExactly) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    const std::vector<Hook> run0 = sampleHooks(12, 1);
    const std::vector<Hook> run1 = sampleHooks(5, 100);
    RunInfo info0 = sampleRun(12);
    RunInfo info1 = sampleRun(5, "second prompt \xE2\x9C\x93");
    info1.generationStep = 3;
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        EXPECT_EQ(writer.beginRun(info0), 0);
        writeHooks(writer, run0);
        EXPECT_EQ(writer.beginRun(info1), 1);
        writeHooks(writer, run1);
        writer.commit();
    }
    CaptureReader reader(path);
    ASSERT_EQ(reader.runCount(), 2);
    const ModelInfo model = reader.model();
    EXPECT_EQ(model.architecture, sampleModel().architecture);
    EXPECT_EQ(model.configJson, sampleModel().configJson);
    EXPECT_EQ(model.dtype, sampleModel().dtype);
    EXPECT_EQ(model.fingerprint, sampleModel().fingerprint);
    expectRunInfo(info0, reader.run(0));
    expectRunInfo(info1, reader.run(1));

    for (int64_t r = 0; r < 2; ++r) {
        const std::vector<Hook>& hooks = r == 0 ? run0 : run1;
        std::vector<std::string> names;
        for (const Hook& hook : hooks)
            names.push_back(hook.name);
        EXPECT_EQ(reader.hooks(r), names);
        for (const Hook& hook : hooks) {
            EXPECT_TRUE(reader.hasHook(r, hook.name));
            EXPECT_EQ(reader.shape(r, hook.name), hook.shape) << hook.name;
            EXPECT_EQ(reader.readHook(r, hook.name), hook.values) << hook.name;
        }
    }
    EXPECT_FALSE(reader.hasHook(0, "blocks.0.attn.hook_q"));
}

TEST(RoundTrip, SlabsAndPatternTilesReadOnlyTheRequestedBox) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    const int64_t heads = 3, tokens = 9;
    const std::vector<float> pattern = randomValues(heads * tokens * tokens, 7);
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        writer.beginRun(sampleRun(tokens));
        writer.writeHook(patternHookName(1), {pattern.data(), {heads, tokens, tokens}});
        writer.commit();
    }
    CaptureReader reader(path);
    EXPECT_TRUE(reader.hasPattern(0, 1));
    EXPECT_FALSE(reader.hasPattern(0, 0));
    EXPECT_EQ(reader.patternShape(0, 1), (std::vector<int64_t>{heads, tokens, tokens}));

    auto at = [&](int64_t h, int64_t q, int64_t k) {
        return pattern[(h * tokens + q) * tokens + k];
    };
    const std::vector<float> head2 = reader.readHeadPattern(0, 1, 2);
    ASSERT_EQ(head2.size(), static_cast<size_t>(tokens * tokens));
    for (int64_t q = 0; q < tokens; ++q)
        for (int64_t k = 0; k < tokens; ++k)
            EXPECT_EQ(head2[q * tokens + k], at(2, q, k));

    const std::vector<float> tile = reader.readPatternTile(0, 1, 1, 2, 7, 3, 5);
    ASSERT_EQ(tile.size(), 10u);
    for (int64_t q = 2; q < 7; ++q)
        for (int64_t k = 3; k < 5; ++k)
            EXPECT_EQ(tile[(q - 2) * 2 + (k - 3)], at(1, q, k));

    const std::vector<float> slab = reader.readSlab(0, patternHookName(1), {0, 4, 0}, {3, 1, 2});
    ASSERT_EQ(slab.size(), 6u);
    for (int64_t h = 0; h < 3; ++h)
        for (int64_t k = 0; k < 2; ++k)
            EXPECT_EQ(slab[h * 2 + k], at(h, 4, k));
    EXPECT_TRUE(reader.readPatternTile(0, 1, 0, 4, 4, 0, 9).empty());
}

TEST(RoundTrip, Float16StoresTheNearestHalf) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    // Hand-picked edge cases: ties (1 + 2^-11 rounds down to even, 1 + 3*2^-11 up), the
    // largest half, overflow, subnormals, signed zero, infinities, plus random values.
    std::vector<float> values = {1.0f,
                                 1.0f + std::ldexp(1.0f, -11),
                                 1.0f + 3 * std::ldexp(1.0f, -11),
                                 65504.0f,
                                 65519.0f,
                                 65520.0f,
                                 -70000.0f,
                                 std::ldexp(1.0f, -24),
                                 std::ldexp(1.0f, -25),
                                 3 * std::ldexp(1.0f, -25),
                                 std::ldexp(1.0f, -14) * 0.99999f,
                                 -0.0f,
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 1e-9f,
                                 0.333333f};
    const std::vector<float> random = randomValues(1000, 3, 30.0f);
    values.insert(values.end(), random.begin(), random.end());
    std::vector<float> withNan = values;
    withNan.push_back(std::numeric_limits<float>::quiet_NaN());
    {
        CaptureWriter writer =
            CaptureWriter::create(path, {StorageType::Float16, false, 4}, sampleModel());
        writer.beginRun(sampleRun(2));
        writer.writeHook("values", {withNan.data(), {static_cast<int64_t>(withNan.size())}});
        writer.commit();
    }
    const std::vector<float> back = CaptureReader(path).readHook(0, "values");
    ASSERT_EQ(back.size(), withNan.size());
    for (size_t i = 0; i < values.size(); ++i) {
        const float expected = roundToHalf(values[i]);
        EXPECT_EQ(back[i], expected) << "value " << values[i];
        EXPECT_EQ(std::signbit(back[i]), std::signbit(expected)) << "value " << values[i];
    }
    EXPECT_TRUE(std::isnan(back.back()));
    // Sanity of the independent reference on values everyone knows.
    EXPECT_EQ(roundToHalf(65519.0f), 65504.0f);
    EXPECT_EQ(roundToHalf(1.0f + std::ldexp(1.0f, -11)), 1.0f);
    EXPECT_EQ(roundToHalf(std::ldexp(1.0f, -25)), 0.0f);
    EXPECT_EQ(roundToHalf(3 * std::ldexp(1.0f, -25)), std::ldexp(1.0f, -23));
}

// Inspects the file with the HDF5 C API, as any other tool would see it.
struct DatasetLayout {
    std::vector<hsize_t> chunk;
    size_t typeSize = 0;
    H5T_class_t typeClass = H5T_NO_CLASS;
    int filters = 0;
    hsize_t storageBytes = 0;
};

DatasetLayout inspect(const fs::path& file, const std::string& dataset) {
    DatasetLayout layout;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    const hid_t type = H5Dget_type(d);
    layout.typeSize = H5Tget_size(type);
    layout.typeClass = H5Tget_class(type);
    const hid_t dcpl = H5Dget_create_plist(d);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        layout.chunk.resize(8);
        layout.chunk.resize(static_cast<size_t>(H5Pget_chunk(dcpl, 8, layout.chunk.data())));
    }
    layout.filters = H5Pget_nfilters(dcpl);
    layout.storageBytes = H5Dget_storage_size(d);
    H5Pclose(dcpl);
    H5Tclose(type);
    H5Dclose(d);
    H5Fclose(f);
    return layout;
}

TEST(RoundTrip, AttentionMapsAreChunkedPerHeadOrPerTile) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    const std::vector<float> small = randomValues(2 * 100 * 100, 1);
    const std::vector<float> large = randomValues(2 * 600 * 600, 2);
    const std::vector<float> resid = randomValues(600 * 64, 3);
    {
        CaptureWriter writer =
            CaptureWriter::create(path, {StorageType::Float16, false, 4}, sampleModel());
        writer.beginRun(sampleRun(3));
        writer.writeHook(patternHookName(0), {small.data(), {2, 100, 100}});
        writer.writeHook(patternHookName(1), {large.data(), {2, 600, 600}});
        writer.writeHook("blocks.1.hook_resid_post", {resid.data(), {600, 64}});
        writer.commit();
    }
    const DatasetLayout whole = inspect(path, "/runs/0/hooks/" + patternHookName(0));
    EXPECT_EQ(whole.chunk, (std::vector<hsize_t>{1, 100, 100}));
    EXPECT_EQ(whole.typeClass, H5T_FLOAT);
    EXPECT_EQ(whole.typeSize, 2u);
    const DatasetLayout tiled = inspect(path, "/runs/0/hooks/" + patternHookName(1));
    EXPECT_EQ(tiled.chunk, (std::vector<hsize_t>{1, 256, 256}));
    const DatasetLayout rows = inspect(path, "/runs/0/hooks/blocks.1.hook_resid_post");
    ASSERT_EQ(rows.chunk.size(), 2u);
    EXPECT_EQ(rows.chunk[1], 64u);  // whole rows per chunk, cut along pos
    EXPECT_EQ(rows.filters, 0);

    // Tiles spanning several chunks of the tiled map come back right.
    CaptureReader reader(path);
    const std::vector<float> tile = reader.readPatternTile(0, 1, 1, 250, 520, 10, 300);
    for (int64_t q = 250; q < 520; q += 13)
        for (int64_t k = 10; k < 300; k += 7)
            EXPECT_EQ(tile[(q - 250) * 290 + (k - 10)], roundToHalf(large[(600 + q) * 600 + k]));
}

TEST(RoundTrip, CompressionKeepsValuesAndShrinksSparseMaps) {
    TempDir dir;
    const int64_t heads = 4, tokens = 300;
    // Causal maps are half zeros: what compression is for.
    std::vector<float> pattern = randomValues(heads * tokens * tokens, 9);
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t q = 0; q < tokens; ++q)
            for (int64_t k = q + 1; k < tokens; ++k)
                pattern[(h * tokens + q) * tokens + k] = 0.0f;
    for (StorageType storage : {StorageType::Float32, StorageType::Float16}) {
        const fs::path plain = dir / "plain.h5";
        const fs::path packed = dir / "packed.h5";
        for (bool compress : {false, true}) {
            CaptureWriter writer = CaptureWriter::create(compress ? packed : plain,
                                                         {storage, compress, 6}, sampleModel());
            writer.beginRun(sampleRun(3));
            writer.writeHook(patternHookName(0), {pattern.data(), {heads, tokens, tokens}});
            writer.commit();
        }
        const std::string name = "/runs/0/hooks/" + patternHookName(0);
        EXPECT_EQ(inspect(packed, name).filters, 2);  // shuffle + deflate
        EXPECT_LT(inspect(packed, name).storageBytes * 10, inspect(plain, name).storageBytes * 7);
        EXPECT_EQ(CaptureReader(packed).readHook(0, patternHookName(0)),
                  CaptureReader(plain).readHook(0, patternHookName(0)));
        const std::vector<float> back = CaptureReader(packed).readHeadPattern(0, 0, 3);
        for (int64_t i = 0; i < tokens * tokens; i += 17) {
            const float written = pattern[3 * tokens * tokens + i];
            EXPECT_EQ(back[i], storage == StorageType::Float16 ? roundToHalf(written) : written);
        }
    }
}

TEST(RoundTrip, ScoreTablesKeepValuesAndParameters) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    ScoreTable sink{3, 4, randomValues(12, 5)};
    ScoreTable retrieval{2, 2, {0.5f, 0.25f, 1.0f, 0.0f}};
    {
        CaptureWriter writer = CaptureWriter::create(path, {}, sampleModel());
        writer.writeScores("sink_mass", "0", ScoreTable{3, 4, randomValues(12, 6)}, "{}");
        writer.writeScores("sink_mass", "0", sink, R"({"sink_tokens": 1})");  // replaces
        writer.writeScores("retrieval", "needle-set", retrieval);
        writer.commit();
    }
    CaptureReader reader(path);
    EXPECT_EQ(reader.runCount(), 0);
    EXPECT_EQ(reader.resultMetrics(), (std::vector<std::string>{"sink_mass", "retrieval"}));
    EXPECT_EQ(reader.resultKeys("sink_mass"), (std::vector<std::string>{"0"}));
    const ScoreTable back = reader.readScores("sink_mass", "0");
    EXPECT_EQ(back.layers, 3);
    EXPECT_EQ(back.heads, 4);
    EXPECT_EQ(back.values, sink.values);
    EXPECT_EQ(reader.scoreParams("sink_mass", "0"), R"({"sink_tokens": 1})");
    EXPECT_EQ(reader.readScores("retrieval", "needle-set").values, retrieval.values);
    EXPECT_EQ(reader.scoreParams("retrieval", "needle-set"), "{}");
}

TEST(RoundTrip, RootCarriesFormatVersionToolVersionAndCreationTime) {
    TempDir dir;
    const fs::path path = dir / "capture.h5";
    CaptureWriter::create(path, {}, sampleModel()).commit();
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    for (const char* name : {"format", "format_version", "tool_version", "created"})
        EXPECT_GT(H5Aexists(file, name), 0) << name;
    int64_t version = 0;
    const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
    H5Aread(attribute, H5T_NATIVE_INT64, &version);
    H5Aclose(attribute);
    H5Fclose(file);
    EXPECT_EQ(version, kFormatVersion);
    EXPECT_EQ(CaptureReader(path).runCount(), 0);
}

}  // namespace
}  // namespace attnscope::store::test
