#pragma once
// The demo data's random numbers: a fixed engine and distributions written out here, so that a
// seed gives the same data with every standard library.
#include <cstdint>
#include <random>
#include <vector>

namespace attnscope::app::demo {

using Rng = std::mt19937_64;

/// Uniform integer in [0, n); n must be positive.
inline int64_t uniformIndex(Rng& rng, int64_t n) {
    return static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
}

/// Uniform integer in [lo, hi].
inline int64_t uniformInt(Rng& rng, int64_t lo, int64_t hi) {
    return lo + uniformIndex(rng, hi - lo + 1);
}

/// Uniform real in [0, 1).
inline double uniformReal(Rng& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// A uniformly chosen element.
template <typename T>
const T& pick(Rng& rng, const std::vector<T>& items) {
    return items[static_cast<size_t>(uniformIndex(rng, static_cast<int64_t>(items.size())))];
}

/// The first `count` elements of a Fisher-Yates shuffle of `items`.
template <typename T>
std::vector<T> sample(Rng& rng, std::vector<T> items, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        const int64_t j = i + uniformIndex(rng, static_cast<int64_t>(items.size()) - i);
        std::swap(items[static_cast<size_t>(i)], items[static_cast<size_t>(j)]);
    }
    items.resize(static_cast<size_t>(count));
    return items;
}

}  // namespace attnscope::app::demo
