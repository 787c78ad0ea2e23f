#pragma once
// The machine's float32 matmul roof, measured in the benchmark's own run: the best rate over
// several shapes (2048^3 and a GPT-2-small forward's own GEMMs at T tokens), each timed as the
// best of several runs after a warm-up. A single median of one square shape sat below what the
// forward itself reached, so it was no roof. Benchmarks on a shared host sample it between their
// own timings (RoofSampler).
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "bench_timing.h"

namespace attnscope::bench {

/// The matmul roof for a GPT-2-small-shaped forward of `tokens` tokens, sampled as often as the
/// caller likes: each sample() times every shape once (2048^3 and the forward's own GEMMs), and
/// roof() is the best rate any shape reached over all samples. A benchmark that calls sample()
/// between its own timings measures the roof over the same minutes as its work, so that a machine
/// whose speed drifts (a shared host) moves both alike.
class RoofSampler {
public:
    explicit RoofSampler(int64_t tokens) {
        add(2048, 2048, 2048, "square");
        add(tokens, 768, 2304, "qkv");
        add(tokens, 768, 3072, "mlp up");
        add(tokens, 3072, 768, "mlp down");
    }
    /// Another [m, k] x [k, n] shape to sample: the benchmarked model's own.
    void add(int64_t m, int64_t k, int64_t n, const char* what) {
        Shape s(m, k, n, what);
        s.a = at::randn({m, k});
        s.b = at::randn({k, n});
        s.out = at::matmul(s.a, s.b);
        at::matmul_out(s.out, s.a, s.b);  // warm-up
        m_shapes.push_back(std::move(s));
    }
    void sample() {
        for (Shape& s : m_shapes) {
            const double seconds = secondsOf([&] { at::matmul_out(s.out, s.a, s.b); });
            s.best =
                std::max(s.best, 2.0 * double(s.m) * double(s.k) * double(s.n) / seconds / 1e9);
            ++s.samples;
        }
    }
    double roof() const {
        double best = 0;
        for (const Shape& s : m_shapes)
            best = std::max(best, s.best);
        return best;
    }
    void print() const {
        for (const Shape& s : m_shapes)
            std::printf("matmul %4lldx%4lldx%4lld  %6.1f GFLOP/s  (%s, best of %d)\n",
                        static_cast<long long>(s.m), static_cast<long long>(s.k),
                        static_cast<long long>(s.n), s.best, s.what, s.samples);
        std::printf("roof                    %6.1f GFLOP/s  (best of the shapes)\n", roof());
    }

private:
    struct Shape {
        Shape(int64_t m, int64_t k, int64_t n, const char* what) : m(m), k(k), n(n), what(what) {}
        int64_t m, k, n;
        const char* what;
        at::Tensor a, b, out;
        double best = 0;
        int samples = 0;
    };
    std::vector<Shape> m_shapes;
};

/// The roof in GFLOP/s for a GPT-2-small-shaped forward of `tokens` tokens, sampled `repeats`
/// times in a row; prints each shape.
inline double matmulRoof(int64_t tokens, int repeats = 10) {
    RoofSampler sampler(tokens);
    for (int i = 0; i < repeats; ++i)
        sampler.sample();
    sampler.print();
    return sampler.roof();
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
