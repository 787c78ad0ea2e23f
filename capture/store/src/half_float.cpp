#include "half_float.h"

#include <cstring>

namespace attnscope::store::detail {

namespace {

uint32_t bitsOf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

float floatOf(uint32_t bits) {
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

constexpr uint32_t kF32Infinity = 0x7F800000u;
// Smallest float that rounds to half infinity: 65520 = halfway between 65504 and 65536,
// and ties go to the even neighbour, which is the infinity encoding.
constexpr uint32_t kF32HalfOverflow = 0x477FF000u;
// 2^-14, the smallest normal half; below it the half is subnormal or zero.
constexpr uint32_t kF32HalfMinNormal = 0x38800000u;

}  // namespace

uint16_t floatToHalf(float value) {
    const uint32_t bits = bitsOf(value);
    const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    uint32_t magnitude = bits & 0x7FFFFFFFu;

    if (magnitude >= kF32Infinity) {
        if (magnitude == kF32Infinity) return sign | 0x7C00u;
        // Keep NaNs NaN (quiet bit set) and keep what fits of the payload.
        return static_cast<uint16_t>(sign | 0x7E00u | ((magnitude >> 13) & 0x3FFu));
    }
    if (magnitude >= kF32HalfOverflow) return sign | 0x7C00u;
    if (magnitude < kF32HalfMinNormal) {
        // Adding 0.5 aligns the value's bits to the half-subnormal grid (unit 2^-24) in the
        // low mantissa bits, and the FPU's own round-to-nearest-even does the rounding.
        const float aligned = floatOf(magnitude) + 0.5f;
        return static_cast<uint16_t>(sign | (bitsOf(aligned) - bitsOf(0.5f)));
    }
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to
    // nearest, ties to even (0xFFF plus the lowest kept bit); a carry rolls into the exponent.
    const uint32_t lowestKeptBit = (magnitude >> 13) & 1u;
    magnitude += (static_cast<uint32_t>(15 - 127) << 23) + 0xFFFu + lowestKeptBit;
    return static_cast<uint16_t>(sign | (magnitude >> 13));
}

float halfToFloat(uint16_t half) {
    const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
    const uint32_t exponent = (half >> 10) & 0x1Fu;
    const uint32_t mantissa = half & 0x3FFu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in float.
        const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
        return floatOf(sign | bitsOf(magnitude));
    }
    if (exponent == 0x1F) return floatOf(sign | kF32Infinity | (mantissa << 13));
    return floatOf(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

void floatsToHalves(const float* in, uint16_t* out, size_t count) {
    for (size_t i = 0; i < count; ++i)
        out[i] = floatToHalf(in[i]);
}

void halvesToFloats(const uint16_t* in, float* out, size_t count) {
    for (size_t i = 0; i < count; ++i)
        out[i] = halfToFloat(in[i]);
}

}  // namespace attnscope::store::detail
