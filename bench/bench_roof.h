#pragma once
// The machine's float32 matmul roof, measured in the benchmark's own run: the best rate over
// several shapes (2048^3 and a GPT-2-small forward's own GEMMs at T tokens), each timed as the
// best of several runs after a warm-up. A single median of one square shape sat below what the
// forward itself reached, so it was no roof.
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>

#include "bench_timing.h"

namespace attnscope::bench {

/// GFLOP/s of an [m, k] x [k, n] float32 matmul: best of `repeats` after two warm-up runs.
inline double matmulRate(int64_t m, int64_t k, int64_t n, int repeats) {
    const at::Tensor a = at::randn({m, k}), b = at::randn({k, n});
    at::Tensor out = at::matmul(a, b);
    at::matmul_out(out, a, b);
    Timing t;
    for (int i = 0; i < repeats; ++i)
        t.seconds.push_back(secondsOf([&] { at::matmul_out(out, a, b); }));
    return 2.0 * double(m) * double(k) * double(n) / t.best() / 1e9;
}

/// The roof in GFLOP/s for a GPT-2-small-shaped forward of `tokens` tokens; prints each shape.
inline double matmulRoof(int64_t tokens, int repeats = 10) {
    struct Shape {
        int64_t m, k, n;
        const char* what;
    };
    const Shape shapes[] = {{2048, 2048, 2048, "square"},
                            {tokens, 768, 2304, "qkv"},
                            {tokens, 768, 3072, "mlp up"},
                            {tokens, 3072, 768, "mlp down"}};
    double roof = 0;
    for (const Shape& s : shapes) {
        const double rate = matmulRate(s.m, s.k, s.n, repeats);
        roof = std::max(roof, rate);
        std::printf("matmul %4lldx%4lldx%4lld  %6.1f GFLOP/s  (%s, best of %d)\n",
                    static_cast<long long>(s.m), static_cast<long long>(s.k),
                    static_cast<long long>(s.n), rate, s.what, repeats);
    }
    std::printf("roof                    %6.1f GFLOP/s  (best of the shapes)\n", roof);
    return roof;
}

/// config.json of a GPT-2-small-shaped model (124M parameters), the shape the roof is for.
inline constexpr const char* kGpt2SmallConfigJson =
    R"({"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","vocab_size":50257,)"
    R"("n_positions":1024,"n_embd":768,"n_layer":12,"n_head":12,"torch_dtype":"float32"})";

/// Floating-point operations of a GPT-2-small-shaped forward (12 layers, d 768, 12 heads,
/// d_mlp 3072, vocab 50257) over `tokens` tokens, with the unembedding at the last position only.
/// Attention counts the T(T+1)/2 scores a causal model needs, not the T² a masked full product
/// computes: the hidden half is work, not progress.
inline double gpt2SmallForwardFlops(double tokens) {
    const double T = tokens, D = 768, M = 3072, H = 12, d = 64, L = 12, V = 50257;
    const double perLayer =
        2 * T * D * 3 * D + 2 * 2 * H * (T * (T + 1) / 2) * d + 2 * T * D * D + 2 * 2 * T * D * M;
    return L * perLayer + 2 * D * V;
}

}  // namespace attnscope::bench
