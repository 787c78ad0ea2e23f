#include "attnscope/analysis/needle_haystack.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

namespace {

// np.round: round half to even (IEEE default), independent of the current rounding mode.
long long roundHalfEven(double x) {
    const double floor = std::floor(x);
    const double diff = x - floor;
    double r = floor;
    if (diff > 0.5) {
        r = floor + 1.0;
    } else if (diff == 0.5) {
        r = std::fmod(floor, 2.0) == 0.0 ? floor : floor + 1.0;
    }
    return static_cast<long long>(r);
}

}  // namespace

std::vector<long long> roundedLinspace(double start, double stop, int num) {
    if (num < 1) throw std::invalid_argument("roundedLinspace: num must be >= 1");
    std::vector<long long> out;
    out.reserve(static_cast<std::size_t>(num));
    if (num == 1) {
        out.push_back(roundHalfEven(start));
        return out;
    }
    const double step = (stop - start) / double(num - 1);
    for (int i = 0; i < num - 1; ++i)
        out.push_back(roundHalfEven(double(i) * step + start));
    out.push_back(roundHalfEven(stop));
    return out;
}

std::vector<long long> contextLengthGrid(long long minLength, long long maxLength, int intervals) {
    if (minLength > maxLength) {
        throw std::invalid_argument("contextLengthGrid: minLength exceeds maxLength");
    }
    std::vector<long long> out;
    for (long long c : roundedLinspace(double(minLength), double(maxLength), intervals)) {
        if (c >= minLength && c <= maxLength) out.push_back(c);
    }
    return out;
}

std::vector<long long> depthGrid(double minPercent, double maxPercent, int intervals) {
    return roundedLinspace(minPercent, maxPercent, intervals);
}

NeedleInsertion insertNeedle(const std::vector<int>& contextIds, const std::vector<int>& needleIds,
                             double depthPercent, long long contextLength,
                             const std::set<int>& periodTokenIds,
                             long long finalContextLengthBuffer) {
    if (!(depthPercent >= 0.0 && depthPercent <= 100.0)) {
        throw std::invalid_argument("insertNeedle: depth must lie in [0, 100], got " +
                                    std::to_string(depthPercent));
    }
    const auto contextSize = static_cast<long long>(contextIds.size());
    const auto needleSize = static_cast<long long>(needleIds.size());
    const long long budget = contextLength - finalContextLengthBuffer;
    long long kept = contextSize;
    if (contextSize + needleSize > budget) {
        long long bound = budget - needleSize;  // Python ctx[:bound]
        if (bound < 0) bound = std::max(0LL, contextSize + bound);
        kept = std::min(bound, contextSize);
    }
    const auto begin = contextIds.begin();
    NeedleInsertion out;
    if (depthPercent == 100.0) {
        out.ids.assign(begin, begin + kept);
        out.insertionPoint = kept;
        out.ids.insert(out.ids.end(), needleIds.begin(), needleIds.end());
        return out;
    }
    // Same operation order as the reference: int(len * (depth / 100)).
    long long ip = static_cast<long long>(double(kept) * (depthPercent / 100.0));
    while (ip > 0 && periodTokenIds.count(contextIds[static_cast<std::size_t>(ip - 1)]) == 0) {
        --ip;
    }
    out.ids.assign(begin, begin + ip);
    out.ids.insert(out.ids.end(), needleIds.begin(), needleIds.end());
    out.ids.insert(out.ids.end(), begin + ip, begin + kept);
    out.insertionPoint = ip;
    return out;
}

}  // namespace attnscope::analysis
