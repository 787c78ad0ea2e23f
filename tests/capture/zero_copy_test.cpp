// Zero-copy loading: weights already in the compute dtype are views of the memory-mapped
// checkpoint, converted and fused ones are copies, and lying files are still refused.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/capture/load_error.h"
#include "attnscope/capture/model_loader.h"
#include "attnscope/capture/safetensors_file.h"
#include "attnscope/capture/safetensors_writer.h"
#include "attnscope/capture/transformer_block.h"
#include "attnscope/capture/transformer_model.h"
#include "file_bytes.h"
#include "fixture_paths.h"
#include "temp_dir.h"

namespace attnscope::capture {
namespace {

using test::readFile;
using test::writeFile;

namespace fs = std::filesystem;
using test::TempDir;

// The address ranges the kernel maps from `file` into this process, read from /proc/self/maps
// (independent of the loader's own bookkeeping).
std::vector<std::pair<uintptr_t, uintptr_t>> mappingsOf(const fs::path& file) {
    const std::string wanted = fs::canonical(file).string();
    std::vector<std::pair<uintptr_t, uintptr_t>> out;
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        std::istringstream fields(line);
        std::string range, perms, offset, device, inode, path;
        fields >> range >> perms >> offset >> device >> inode;
        std::getline(fields >> std::ws, path);
        if (path != wanted) continue;
        const auto dash = range.find('-');
        out.emplace_back(std::stoull(range.substr(0, dash), nullptr, 16),
                         std::stoull(range.substr(dash + 1), nullptr, 16));
    }
    return out;
}

bool insideMapping(const at::Tensor& t, const fs::path& file) {
    const auto p = reinterpret_cast<uintptr_t>(t.data_ptr());
    for (const auto& [begin, end] : mappingsOf(file))
        if (p >= begin && p + t.nbytes() <= end) return true;
    return false;
}

std::string messageOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ModelLoadError& e) {
        return e.what();
    }
    return "(no error)";
}

fs::path gpt2Tiny() {
    return test::fixturesDir() / "parity" / "gpt2-tiny";
}

fs::path llamaTiny() {
    return test::fixturesDir() / "parity" / "llama-tiny-gqa";
}

// A private copy of a fixture model, so that no other test's model maps the same file.
fs::path copyOf(const fs::path& model, const TempDir& dir) {
    for (const char* f : {"config.json", "model.safetensors"})
        fs::copy_file(model / f, dir.path() / f);
    return dir.path();
}

TEST(ZeroCopyLoad, Float32WeightsAreViewsOfTheMappedCheckpoint) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tiny());
    const fs::path file = gpt2Tiny() / "model.safetensors";
    auto model = loadModel(gpt2Tiny());
    EXPECT_TRUE(model->weightsShareFiles());
    const SafetensorsFile copy(file);  // read() gives owned copies to compare with
    EXPECT_TRUE(insideMapping(model->embedWeight(), file));
    EXPECT_TRUE(at::equal(model->embedWeight(), copy.read("wte.weight")));
    // Conv1D weights are stored [in, out]: the [out, in] weight is the transposed view.
    const at::Tensor wQkv = model->block(1).attn->wQkv;
    EXPECT_TRUE(insideMapping(wQkv, file));
    EXPECT_TRUE(at::equal(wQkv, copy.read("h.1.attn.c_attn.weight").t()));
    EXPECT_TRUE(insideMapping(model->block(0).norm2B, file));
    // Every parameter, not only the few checked by name.
    for (const auto& p : model->parameters())
        EXPECT_TRUE(insideMapping(p, file));
}

TEST(ZeroCopyLoad, TheModelKeepsTheMappingAliveAfterTheLoader) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tiny());
    TempDir dir;
    const fs::path file = copyOf(gpt2Tiny(), dir) / "model.safetensors";
    at::Tensor pos;
    {
        auto model = loadModel(dir.path());
        pos = model->posEmbedWeight();
    }
    // The model is gone; the tensor's deleter still holds the mapping.
    EXPECT_TRUE(insideMapping(pos, file));
    EXPECT_TRUE(at::equal(pos, SafetensorsFile(file).read("wpe.weight")));
    pos.reset();
    EXPECT_TRUE(mappingsOf(file).empty());
}

at::Tensor fusedFromFile(const SafetensorsFile& f, const std::string& prefix,
                         const std::vector<std::string>& parts) {
    std::vector<at::Tensor> read;
    for (const auto& p : parts)
        read.push_back(f.read(prefix + p + ".weight"));
    return at::cat(read);
}

TEST(ZeroCopyLoad, FusedWeightsAreViewsWhenStoredInFusedOrder) {
    ATTNSCOPE_REQUIRE_FIXTURE(llamaTiny());
    const std::string p = "model.layers.1.";
    const std::vector<std::string> qkv{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"},
        gateUp{"mlp.gate_proj", "mlp.up_proj"};
    // The fixture is stored in module order: q, k, v and gate, up lie back to back, so the fused
    // matrices are single views of the file.
    {
        const fs::path file = llamaTiny() / "model.safetensors";
        auto model = loadModel(llamaTiny());
        const SafetensorsFile copy(file);
        TransformerBlock& b = model->block(1);
        EXPECT_TRUE(insideMapping(b.attn->wQkv, file));
        EXPECT_TRUE(insideMapping(b.wIn, file));
        EXPECT_TRUE(at::equal(b.attn->wQkv, fusedFromFile(copy, p, qkv)));
        EXPECT_TRUE(at::equal(b.wIn, fusedFromFile(copy, p, gateUp)));
        for (const auto& w : model->parameters())
            EXPECT_TRUE(insideMapping(w, file));
    }
    // Hugging Face's save_file sorts tensors by name: k, o, q, v are not in fused order (q/k/v is
    // copied) while gate, up still are (a view).
    TempDir dir;
    fs::copy_file(llamaTiny() / "config.json", dir.path() / "config.json");
    const SafetensorsFile original(llamaTiny() / "model.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> sorted;
    for (const auto& [name, info] : original.header().tensors)  // std::map: sorted by name
        sorted.emplace_back(name, original.read(name));
    const fs::path file = dir.path() / "model.safetensors";
    writeSafetensors(file, sorted);
    auto model = loadModel(dir.path());
    TransformerBlock& b = model->block(1);
    EXPECT_FALSE(insideMapping(b.attn->wQkv, file));
    EXPECT_TRUE(insideMapping(b.attn->wO, file));
    EXPECT_TRUE(insideMapping(b.wIn, file));
    EXPECT_TRUE(at::equal(b.attn->wQkv, fusedFromFile(original, p, qkv)));
    EXPECT_TRUE(at::equal(b.wIn, fusedFromFile(original, p, gateUp)));
}

TEST(ZeroCopyLoad, ConvertedWeightsAreOwnedCopies) {
    ATTNSCOPE_REQUIRE_FIXTURE(llamaTiny());
    const fs::path file = llamaTiny() / "model.safetensors";
    const SafetensorsFile copy(file);
    // Computing in bfloat16 from a float32 file converts every weight.
    LoadOptions bf16;
    bf16.dtype = ComputeDType::BFloat16;
    auto low = loadModel(llamaTiny(), bf16);
    for (const auto& p : low->parameters()) {
        EXPECT_EQ(p.scalar_type(), at::kBFloat16);
        EXPECT_FALSE(insideMapping(p, file));
    }
    EXPECT_TRUE(at::equal(low->unembedWeight(), copy.read("lm_head.weight").to(at::kBFloat16)));
    EXPECT_TRUE(at::equal(low->block(0).wIn,
                          fusedFromFile(copy, "model.layers.0.", {"mlp.gate_proj", "mlp.up_proj"})
                              .to(at::kBFloat16)));
}

TEST(ZeroCopyLoad, WritableWeightsAreOwnedAndGiveTheSameModel) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tiny());
    const fs::path file = gpt2Tiny() / "model.safetensors";
    auto mapped = loadModel(gpt2Tiny());
    LoadOptions options;
    options.writableWeights = true;
    auto owned = loadModel(gpt2Tiny(), options);
    EXPECT_FALSE(owned->weightsShareFiles());
    for (const auto& p : owned->parameters()) {
        EXPECT_FALSE(insideMapping(p, file));
        EXPECT_TRUE(p.is_contiguous());
    }
    const at::Tensor ids = at::arange(3, 20, at::kLong).unsqueeze(0);
    // Not bit-equal: the matmuls sum in another order for [in, out] views than for [out, in],
    // so every logit carries rounding of the logits' scale (a few float ulp of the largest).
    const at::Tensor ownedLogits = owned->forward(ids), mappedLogits = mapped->forward(ids);
    EXPECT_LE((ownedLogits - mappedLogits).abs().max().item<float>(),
              1e-6f * ownedLogits.abs().max().item<float>());

    // ownWeights() on the mapped model: same values, now writable in place.
    mapped->ownWeights();
    EXPECT_FALSE(insideMapping(mapped->embedWeight(), file));
    EXPECT_TRUE(at::equal(mapped->forward(ids), owned->forward(ids)));
    at::NoGradGuard noGrad;
    mapped->embedWeight().mul_(2.0);
    EXPECT_FALSE(at::equal(mapped->forward(ids), owned->forward(ids)));
}

TEST(ZeroCopyLoad, UnalignedTensorsAreCopiedAndReleasedPagesReadBack) {
    TempDir dir;
    const fs::path p = dir.path() / "t.safetensors";
    // A header of 61 bytes puts the data region at offset 69: no F32 in it is 4-byte aligned.
    std::string json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    json.append(61 - json.size(), ' ');
    std::string bytes(8, '\0');
    bytes[0] = static_cast<char>(json.size());
    const float values[2] = {1.5f, -2.25f};
    bytes += json + std::string(reinterpret_cast<const char*>(values), sizeof values);
    writeFile(p, bytes);
    const SafetensorsFile unaligned(p);
    const at::Tensor a = unaligned.view("a");
    EXPECT_FALSE(unaligned.contains(a.data_ptr()));
    EXPECT_EQ(a[0].item<float>(), 1.5f);
    EXPECT_EQ(a[1].item<float>(), -2.25f);

    // Written by the writer: aligned, so a view. Dropping its pages loses nothing.
    const at::Tensor big = at::randn({3, 4096});
    writeSafetensors(p, {{"big", big}, {"small", at::arange(5, at::kFloat)}});
    const SafetensorsFile aligned(p);
    const at::Tensor view = aligned.view("big");
    EXPECT_TRUE(aligned.contains(view.data_ptr()));
    EXPECT_TRUE(at::equal(view, big));
    aligned.releasePages("big");
    EXPECT_TRUE(at::equal(view, big));
    EXPECT_TRUE(at::equal(aligned.view("small"), at::arange(5, at::kFloat)));
}

// `original` rewritten with its header padded so that the data region starts at an odd offset:
// no weight in it is aligned for its dtype, so the loader takes its copy path (memcpy into owned
// tensors of the same shape and layout) for every tensor.
void writeUnalignedCopy(const fs::path& original, const fs::path& out) {
    const std::string bytes = readFile(original);
    uint64_t headerLength = 0;
    for (int i = 0; i < 8; ++i)
        headerLength |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
    std::string json = bytes.substr(8, headerLength);
    while ((8 + json.size()) % 8 != 1)
        json += ' ';
    std::string length(8, '\0');
    for (int i = 0; i < 8; ++i)
        length[i] = static_cast<char>((uint64_t(json.size()) >> (8 * i)) & 0xff);
    writeFile(out, length + json + bytes.substr(8 + headerLength));
}

TEST(ZeroCopyLoad, MappedModelGivesBitwiseTheLogitsOfTheCopyPath) {
    ATTNSCOPE_REQUIRE_FIXTURE(llamaTiny());
    const at::Tensor ids = at::arange(3, 40, at::kLong).unsqueeze(0);
    for (const fs::path& fixture : {gpt2Tiny(), llamaTiny()}) {
        TempDir dir;
        fs::copy_file(fixture / "config.json", dir.path() / "config.json");
        const fs::path file = dir.path() / "model.safetensors";
        writeUnalignedCopy(fixture / "model.safetensors", file);
        auto copied = loadModel(dir.path());
        auto mapped = loadModel(fixture);
        for (const auto& p : copied->parameters())
            EXPECT_FALSE(insideMapping(p, file)) << fixture;
        for (const auto& p : mapped->parameters())
            EXPECT_TRUE(insideMapping(p, fixture / "model.safetensors")) << fixture;
        ASSERT_EQ(SafetensorsFile(file).header().dataOffset % 2, 1u);
        // The same bytes in the same layout: the same sums in the same order, bit for bit.
        EXPECT_TRUE(at::equal(mapped->forward(ids), copied->forward(ids))) << fixture;
    }
}

// The fixture's tensors in file order (fused parts stay back to back), as (name, owned copy).
std::vector<std::pair<std::string, at::Tensor>> tensorsInFileOrder(const SafetensorsFile& f) {
    std::vector<std::pair<const std::string*, const TensorInfo*>> entries;
    for (const auto& [name, info] : f.header().tensors)
        entries.emplace_back(&name, &info);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.second->begin < b.second->begin; });
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const auto& [name, info] : entries)
        out.emplace_back(*name, f.read(*name));
    return out;
}

TEST(ZeroCopyLoad, ShardedCheckpointWeightsAreViewsOfTheirShards) {
    ATTNSCOPE_REQUIRE_FIXTURE(llamaTiny());
    const SafetensorsFile single(llamaTiny() / "model.safetensors");
    const at::Tensor ids = at::arange(5, 30, at::kLong).unsqueeze(0);
    const at::Tensor expected = loadModel(llamaTiny())->forward(ids);
    // Layer 1 in the second shard; `strayTensor` (when given) moves to the first one.
    auto writeShards = [&](const fs::path& dir, const std::string& strayTensor) {
        fs::copy_file(llamaTiny() / "config.json", dir / "config.json");
        std::vector<std::pair<std::string, at::Tensor>> first, second;
        nlohmann::json index;
        for (auto& [name, tensor] : tensorsInFileOrder(single)) {
            const bool late = name.find(".layers.1.") != std::string::npos && name != strayTensor;
            (late ? second : first).emplace_back(name, tensor);
            index["weight_map"][name] = late ? "b.safetensors" : "a.safetensors";
        }
        writeSafetensors(dir / "a.safetensors", first);
        writeSafetensors(dir / "b.safetensors", second);
        writeFile(dir / "model.safetensors.index.json", index.dump());
    };

    TempDir dir;
    writeShards(dir.path(), "");
    auto model = loadModel(dir.path());
    const fs::path a = dir.path() / "a.safetensors", b = dir.path() / "b.safetensors";
    for (const auto& p : model->parameters())
        EXPECT_TRUE(insideMapping(p, a) || insideMapping(p, b));
    EXPECT_TRUE(insideMapping(model->block(0).attn->wQkv, a));
    EXPECT_TRUE(insideMapping(model->block(1).attn->wQkv, b));
    EXPECT_TRUE(insideMapping(model->block(1).wIn, b));
    EXPECT_TRUE(at::equal(model->forward(ids), expected));

    // q in one shard and k, v in the other cannot be one view: the fused matrix is a copy.
    TempDir split;
    writeShards(split.path(), "model.layers.1.self_attn.q_proj.weight");
    auto copied = loadModel(split.path());
    const at::Tensor wQkv = copied->block(1).attn->wQkv;
    EXPECT_FALSE(insideMapping(wQkv, split.path() / "a.safetensors"));
    EXPECT_FALSE(insideMapping(wQkv, split.path() / "b.safetensors"));
    EXPECT_TRUE(insideMapping(copied->block(1).attn->wO, split.path() / "b.safetensors"));
    EXPECT_TRUE(at::equal(copied->forward(ids), expected));
}

TEST(ZeroCopyLoad, TruncatedAndOverlappingCheckpointsAreRefusedAsBefore) {
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tiny());
    TempDir dir;
    fs::copy_file(gpt2Tiny() / "config.json", dir.path() / "config.json");
    const fs::path file = dir.path() / "model.safetensors";
    const std::string original = readFile(gpt2Tiny() / "model.safetensors");

    // Cut in the middle of the last tensor: the message names a tensor whose offsets run past
    // the data region, as the header check has always said.
    writeFile(file, original.substr(0, original.size() - 100));
    const std::string truncated = messageOf([&] { loadModel(dir.path()); });
    EXPECT_NE(truncated.find(file.string()), std::string::npos) << truncated;
    EXPECT_NE(truncated.find("beyond the data region of"), std::string::npos) << truncated;
    EXPECT_NE(truncated.find("(truncated file?)"), std::string::npos) << truncated;
    EXPECT_EQ(messageOf([&] { inspectModel(dir.path()); }), truncated);
    EXPECT_TRUE(mappingsOf(file).empty());  // nothing of the refused file stays mapped

    // Two tensors claiming the same bytes.
    const SafetensorsHeader header = SafetensorsFile(gpt2Tiny() / "model.safetensors").header();
    const TensorInfo& wte = header.tensors.at("wte.weight");
    const TensorInfo& wpe = header.tensors.at("wpe.weight");
    std::string json(original.data() + 8, header.dataOffset - 8);
    const std::string from =
        "\"data_offsets\":[" + std::to_string(wpe.begin) + "," + std::to_string(wpe.end) + "]";
    const auto at = json.find(from);
    ASSERT_NE(at, std::string::npos) << "fixture header layout changed";
    // The entry may change length: the header length field is rewritten below.
    const uint64_t shifted = wte.begin + 4;
    json.replace(at, from.size(),
                 "\"data_offsets\":[" + std::to_string(shifted) + "," +
                     std::to_string(shifted + (wpe.end - wpe.begin)) + "]");
    std::string lying(8, '\0');
    for (int i = 0; i < 8; ++i)
        lying[i] = static_cast<char>((uint64_t(json.size()) >> (8 * i)) & 0xff);
    writeFile(file, lying + json + original.substr(header.dataOffset));
    const std::string overlap = messageOf([&] { loadModel(dir.path()); });
    EXPECT_NE(overlap.find("tensors 'wte.weight' and 'wpe.weight' overlap in the data region"),
              std::string::npos)
        << overlap;
}

TEST(ZeroCopyLoad, InspectModelChecksTheCheckpointWithoutLoadingIt) {
    ATTNSCOPE_REQUIRE_FIXTURE(llamaTiny());
    for (const fs::path& fixture : {gpt2Tiny(), llamaTiny()}) {
        TempDir copy;
        const fs::path dir = copyOf(fixture, copy);
        const ModelSummary summary = inspectModel(dir);
        EXPECT_TRUE(mappingsOf(dir / "model.safetensors").empty());
        auto model = loadModel(dir);
        EXPECT_EQ(summary.fingerprint, model->fingerprint());
        EXPECT_EQ(summary.config.parameterCount(), model->config().parameterCount());
        EXPECT_EQ(summary.weightBytes,
                  fs::file_size(dir / "model.safetensors") -
                      SafetensorsFile(dir / "model.safetensors").header().dataOffset);
        // Nothing of the checkpoint is mapped once the summary is made.
        model.reset();
        EXPECT_TRUE(mappingsOf(dir / "model.safetensors").empty());
    }

    // Tensor names and shapes are checked as by the loader.
    TempDir dir;
    fs::copy_file(gpt2Tiny() / "config.json", dir.path() / "config.json");
    const SafetensorsFile f(gpt2Tiny() / "model.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& [name, info] : f.header().tensors)
        if (name != "h.1.mlp.c_fc.bias") tensors.emplace_back(name, f.read(name));
    writeSafetensors(dir.path() / "model.safetensors", tensors);
    const std::string missing = messageOf([&] { inspectModel(dir.path()); });
    EXPECT_EQ(missing, messageOf([&] { loadModel(dir.path()); }));
    EXPECT_NE(missing.find("missing tensor 'h.1.mlp.c_fc.bias'"), std::string::npos) << missing;
}

TEST(ZeroCopyLoad, CudaOnABuildWithoutCudaIsOneClearError) {
    if (at::hasCUDA()) GTEST_SKIP() << "this LibTorch has CUDA";
    try {
        checkDevice("cuda");
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_STREQ(e.what(), "this LibTorch build has no CUDA support, use --device cpu");
    }
    EXPECT_THROW(checkDevice("cuda:1"), InputError);
    EXPECT_THROW(checkDevice("gpu"), InputError);
    EXPECT_NO_THROW(checkDevice("cpu"));
    ATTNSCOPE_REQUIRE_FIXTURE(gpt2Tiny());
    LoadOptions options;
    options.device = "cuda";
    EXPECT_THROW(loadModel(gpt2Tiny(), options), InputError);
}

}  // namespace
}  // namespace attnscope::capture
