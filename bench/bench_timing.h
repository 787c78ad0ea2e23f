#pragma once
// Wall-clock timing shared by the benchmarks: one call's seconds, and best/median of repeats.
#include <algorithm>
#include <chrono>
#include <vector>

namespace attnscope::bench {

template <typename Fn>
double secondsOf(Fn fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Timing {
    std::vector<double> seconds;
    double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
    double median() const {
        std::vector<double> s = seconds;
        std::sort(s.begin(), s.end());
        return s[s.size() / 2];
    }
};

}  // namespace attnscope::bench
