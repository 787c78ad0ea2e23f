#pragma once
// The exponential that the element-wise kernels over scores and activations vectorise, and the
// attribute that builds those kernels for the machine they run on.
#include <cstdint>

// Kernels whose loops carry this attribute are also built for x86-64-v4 (AVX-512, which
// OpenBLAS's kernels use anyway where present) and x86-64-v3 (AVX2, FMA), picked at load time:
// the default build targets plain x86-64 (SSE2). The attention's exp loop takes 0.26-0.29 ns per
// score on an AVX-512 machine (v4); glibc's expf, a call per element, about 4 ns.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTNSCOPE_SIMD_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ATTNSCOPE_SIMD_CLONES
#endif

namespace attnscope::capture {

/// exp(x) for x <= 0: Cephes' expf (range reduction by ln 2, degree-6 polynomial, within 2 ulp of
/// expf), written out so that a loop calling it vectorises (glibc's expf is a call per element).
/// Below -87, where expf is denormal or 0, it gives 0.
__attribute__((always_inline)) inline float expNonPositive(float x) {
    const float xc = x > -87.0f ? x : -87.0f;
    // Round to nearest through the float mantissa (|fx| < 2^22): no conversion needed.
    const float fx = xc * 1.44269504088896341f;
    const float n = (fx + 12582912.0f) - 12582912.0f;
    const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    // 2^n from its exponent bits, n in [-126, 0].
    const float scale = __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
    return x > -87.0f ? y * scale : 0.0f;
}

}  // namespace attnscope::capture
