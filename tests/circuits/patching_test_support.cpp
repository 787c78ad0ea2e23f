#include "patching_test_support.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "attnscope/capture/model_loader.h"
#include "edge_test_models.h"
#include "fixture_paths.h"

namespace attnscope::analysis::circuits::test {

std::shared_ptr<capture::TransformerModel> parityModel(const std::string& name) {
    const auto dir = attnscope::test::fixturesDir() / "parity" / name;
    if (!std::filesystem::exists(dir)) return nullptr;
    return capture::loadModel(dir);
}

std::shared_ptr<capture::TransformerModel> qwen2ShapedModel(uint64_t seed) {
    return randomModel(
        R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 97,
            "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64,
            "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu",
            "tie_word_embeddings": false, "use_sliding_window": false})",
        seed, 0.2);
}

PromptPair randomPair(int64_t vocab, int64_t length, int64_t differing, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> token(0, vocab - 1);
    PromptPair p;
    for (int64_t i = 0; i < length; ++i)
        p.clean.push_back(token(rng));
    p.corrupted = p.clean;
    std::vector<int64_t> positions(static_cast<size_t>(length));
    std::iota(positions.begin(), positions.end(), 0);
    std::shuffle(positions.begin(), positions.end(), rng);
    for (int64_t i = 0; i < differing; ++i) {
        auto& t = p.corrupted[static_cast<size_t>(positions[static_cast<size_t>(i)])];
        t = (t + 1 + token(rng) % (vocab - 1)) % vocab;
    }
    p.answer = token(rng);
    do {
        p.wrong = token(rng);
    } while (p.wrong == p.answer);
    return p;
}

namespace {
std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
            ++j;
        for (size_t k = i; k <= j; ++k)
            r[order[k]] = 0.5 * static_cast<double>(i + j);
        i = j + 1;
    }
    return r;
}
}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    const auto ra = ranks(a), rb = ranks(b);
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
    const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
    double cov = 0, va = 0, vb = 0;
    for (size_t i = 0; i < ra.size(); ++i) {
        cov += (ra[i] - ma) * (rb[i] - mb);
        va += (ra[i] - ma) * (ra[i] - ma);
        vb += (rb[i] - mb) * (rb[i] - mb);
    }
    return cov / std::sqrt(va * vb);
}

}  // namespace attnscope::analysis::circuits::test
