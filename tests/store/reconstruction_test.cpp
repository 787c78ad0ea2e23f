// Long-context captures: patterns rebuilt from q, k and the row log-sum-exp must equal the
// softmax computed directly, here in double precision from the same q and k.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/store/capture_format.h"
#include "attnscope/store/capture_reader.h"
#include "attnscope/store/capture_writer.h"
#include "store_test_support.h"

namespace attnscope::store::test {
namespace {

namespace fs = std::filesystem;

struct Attention {
    int64_t tokens, heads, kvHeads, dHead;
    double scale, softcap;
    std::vector<float> q;         // [pos, head, d_head]
    std::vector<float> k;         // [pos, kv_head, d_head]
    std::vector<float> lse;       // [head, query]
    std::vector<double> pattern;  // [head, query, key]
};

double score(const Attention& a, int64_t h, int64_t qi, int64_t ki) {
    const int64_t kvHead = h * a.kvHeads / a.heads;
    double dot = 0;
    for (int64_t i = 0; i < a.dHead; ++i)
        dot += double(a.q[(qi * a.heads + h) * a.dHead + i]) *
               a.k[(ki * a.kvHeads + kvHead) * a.dHead + i];
    const double s = dot * a.scale;
    return a.softcap > 0 ? a.softcap * std::tanh(s / a.softcap) : s;
}

// Causal softmax in double with the max subtracted; lse = max + log(sum).
Attention makeAttention(int64_t tokens, int64_t heads, int64_t kvHeads, int64_t dHead,
                        double softcap, uint32_t seed, bool halfInputs) {
    Attention a{tokens,  heads, kvHeads, dHead, 1.0 / std::sqrt(double(dHead)),
                softcap, {},    {},      {},    {}};
    // Spread 2.0 gives peaked rows (probabilities from ~1 down to ~1e-10).
    a.q = randomValues(tokens * heads * dHead, seed, 2.0f);
    a.k = randomValues(tokens * kvHeads * dHead, seed + 1, 2.0f);
    if (halfInputs) {
        // What a float16 capture stores; the pattern is then that of the stored values.
        for (float& v : a.q)
            v = roundToHalf(v);
        for (float& v : a.k)
            v = roundToHalf(v);
    }
    a.lse.resize(heads * tokens);
    a.pattern.assign(heads * tokens * tokens, 0.0);
    for (int64_t h = 0; h < heads; ++h) {
        for (int64_t qi = 0; qi < tokens; ++qi) {
            double maxScore = -INFINITY;
            for (int64_t ki = 0; ki <= qi; ++ki)
                maxScore = std::max(maxScore, score(a, h, qi, ki));
            double sum = 0;
            for (int64_t ki = 0; ki <= qi; ++ki)
                sum += std::exp(score(a, h, qi, ki) - maxScore);
            a.lse[h * tokens + qi] = float(maxScore + std::log(sum));
            for (int64_t ki = 0; ki <= qi; ++ki)
                a.pattern[(h * tokens + qi) * tokens + ki] =
                    std::exp(score(a, h, qi, ki) - maxScore) / sum;
        }
    }
    return a;
}

void writeLongContext(const fs::path& path, const Attention& a, int layer, StorageType storage) {
    CaptureWriter writer = CaptureWriter::create(path, {storage, false, 4}, sampleModel());
    writer.beginRun(sampleRun(a.tokens));
    writer.writeHook(rotQHookName(layer), {a.q.data(), {a.tokens, a.heads, a.dHead}});
    writer.writeHook(rotKHookName(layer), {a.k.data(), {a.tokens, a.kvHeads, a.dHead}});
    writer.writeLse(layer, {a.lse.data(), {a.heads, a.tokens}}, float(a.scale), float(a.softcap));
    writer.commit();
}

void expectTile(const Attention& a, const std::vector<float>& tile, int64_t h, int64_t q0,
                int64_t q1, int64_t k0, int64_t k1) {
    ASSERT_EQ(tile.size(), size_t((q1 - q0) * (k1 - k0)));
    for (int64_t qi = q0; qi < q1; ++qi)
        for (int64_t ki = k0; ki < k1; ++ki)
            ASSERT_NEAR(tile[(qi - q0) * (k1 - k0) + (ki - k0)],
                        a.pattern[(h * a.tokens + qi) * a.tokens + ki], 1e-5)
                << "head " << h << " query " << qi << " key " << ki;
}

TEST(Reconstruction, EveryHeadEqualsTheDirectSoftmax) {
    TempDir dir;
    const Attention a = makeAttention(40, 4, 4, 16, 0.0, 11, false);
    writeLongContext(dir / "long.h5", a, 3, StorageType::Float32);
    CaptureReader reader(dir / "long.h5");
    EXPECT_TRUE(reader.hasPattern(0, 3));
    EXPECT_FALSE(reader.hasPattern(0, 2));
    EXPECT_FALSE(reader.hasHook(0, patternHookName(3)));
    EXPECT_EQ(reader.patternShape(0, 3), (std::vector<int64_t>{4, 40, 40}));
    for (int h = 0; h < 4; ++h)
        expectTile(a, reader.readHeadPattern(0, 3, h), h, 0, 40, 0, 40);
    // The rebuilt rows are distributions.
    const std::vector<float> head = reader.readHeadPattern(0, 3, 1);
    for (int64_t qi = 0; qi < 40; ++qi) {
        double sum = 0;
        for (int64_t ki = 0; ki < 40; ++ki)
            sum += head[qi * 40 + ki];
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(Reconstruction, TilesAnywhereIncludingAboveTheDiagonal) {
    TempDir dir;
    const Attention a = makeAttention(64, 2, 2, 8, 0.0, 21, false);
    writeLongContext(dir / "long.h5", a, 0, StorageType::Float32);
    CaptureReader reader(dir / "long.h5");
    const std::vector<std::array<int64_t, 4>> tiles = {
        {0, 64, 0, 64},   {10, 20, 0, 64},  {30, 31, 0, 31}, {5, 15, 40, 64},  // all masked
        {40, 64, 30, 50}, {63, 64, 63, 64}, {0, 1, 0, 1},    {20, 20, 0, 5}};
    for (const auto& t : tiles)
        for (int h = 0; h < 2; ++h)
            expectTile(a, reader.readPatternTile(0, 0, h, t[0], t[1], t[2], t[3]), h, t[0], t[1],
                       t[2], t[3]);
}

TEST(Reconstruction, GroupedQueryHeadsUseTheirKvHead) {
    TempDir dir;
    const Attention a = makeAttention(33, 8, 2, 8, 0.0, 31, false);
    writeLongContext(dir / "gqa.h5", a, 1, StorageType::Float32);
    CaptureReader reader(dir / "gqa.h5");
    for (int h = 0; h < 8; ++h)
        expectTile(a, reader.readHeadPattern(0, 1, h), h, 0, 33, 0, 33);
}

TEST(Reconstruction, SoftcappedLogits) {
    TempDir dir;
    // A small cap relative to the logits, so capping changes the pattern a lot.
    Attention a = makeAttention(30, 2, 1, 16, 1.5, 41, false);
    const Attention uncapped = makeAttention(30, 2, 1, 16, 0.0, 41, false);
    writeLongContext(dir / "capped.h5", a, 0, StorageType::Float32);
    CaptureReader reader(dir / "capped.h5");
    const std::vector<float> head = reader.readHeadPattern(0, 0, 1);
    expectTile(a, head, 1, 0, 30, 0, 30);
    double difference = 0;
    for (size_t i = 0; i < head.size(); ++i)
        difference = std::max(difference, std::fabs(head[i] - uncapped.pattern[30 * 30 + i]));
    EXPECT_GT(difference, 0.05);  // the test really exercises the cap
}

TEST(Reconstruction, Float16QueriesAndKeys) {
    TempDir dir;
    const Attention a = makeAttention(48, 4, 2, 16, 0.0, 51, true);
    writeLongContext(dir / "half.h5", a, 0, StorageType::Float16);
    CaptureReader reader(dir / "half.h5");
    for (int h = 0; h < 4; ++h)
        expectTile(a, reader.readPatternTile(0, 0, h, 8, 48, 0, 40), h, 8, 48, 0, 40);
}

TEST(Reconstruction, SameAnswerAsAStoredPattern) {
    TempDir dir;
    const Attention a = makeAttention(20, 3, 3, 8, 0.0, 61, false);
    std::vector<float> direct(a.pattern.begin(), a.pattern.end());
    {
        CaptureWriter writer = CaptureWriter::create(dir / "both.h5", {}, sampleModel());
        writer.beginRun(sampleRun(a.tokens));
        writer.writeHook(patternHookName(0), {direct.data(), {3, 20, 20}});
        writer.writeHook(rotQHookName(1), {a.q.data(), {20, 3, 8}});
        writer.writeHook(rotKHookName(1), {a.k.data(), {20, 3, 8}});
        writer.writeLse(1, {a.lse.data(), {3, 20}}, float(a.scale), 0.0f);
        writer.commit();
    }
    CaptureReader reader(dir / "both.h5");
    for (int h = 0; h < 3; ++h) {
        const std::vector<float> stored = reader.readPatternTile(0, 0, h, 3, 17, 2, 19);
        const std::vector<float> rebuilt = reader.readPatternTile(0, 1, h, 3, 17, 2, 19);
        ASSERT_EQ(stored.size(), rebuilt.size());
        for (size_t i = 0; i < stored.size(); ++i)
            EXPECT_NEAR(stored[i], rebuilt[i], 1e-5);
    }
}

TEST(Reconstruction, StorageIsLinearInContextLength) {
    TempDir dir;
    const Attention a = makeAttention(256, 4, 4, 16, 0.0, 71, false);
    writeLongContext(dir / "long.h5", a, 0, StorageType::Float32);
    std::vector<float> direct(a.pattern.begin(), a.pattern.end());
    {
        CaptureWriter writer = CaptureWriter::create(dir / "maps.h5", {}, sampleModel());
        writer.beginRun(sampleRun(a.tokens));
        writer.writeHook(patternHookName(0), {direct.data(), {4, 256, 256}});
        writer.commit();
    }
    // q + k + lse = 256 * (4*16 + 4*16 + 4) floats, maps = 4 * 256 * 256 floats: 7.8x less.
    EXPECT_LT(fs::file_size(dir / "long.h5") * 4, fs::file_size(dir / "maps.h5"));
}

}  // namespace
}  // namespace attnscope::store::test
