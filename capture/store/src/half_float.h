#pragma once
// IEEE 754 binary16 <-> binary32 conversion. HDF5 1.10 has no native half type and its
// software float conversion is slow, so the store converts itself and hands HDF5 raw halves.
#include <cstddef>
#include <cstdint>

namespace attnscope::store::detail {

/// Rounds to the nearest half, ties to even; overflow gives infinity, NaN stays NaN.
uint16_t floatToHalf(float value);
/// Exact (every half is representable as a float).
float halfToFloat(uint16_t half);

void floatsToHalves(const float* in, uint16_t* out, size_t count);
void halvesToFloats(const uint16_t* in, float* out, size_t count);

}  // namespace attnscope::store::detail
