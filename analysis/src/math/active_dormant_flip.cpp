#include "attnscope/analysis/active_dormant_flip.h"

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

BosMassByKind bosMassByQueryKind(const AttentionMap& a, const std::vector<int>& triggerQueries) {
    const int t = static_cast<int>(a.rows());
    std::set<int> triggers;
    for (int q : triggerQueries) {
        if (q < 1 || q >= t)
            throw std::invalid_argument("bosMassByQueryKind: trigger position " +
                                        std::to_string(q) + " outside 1.." + std::to_string(t - 1));
        triggers.insert(q);
    }
    BosMassByKind out;
    double ordinary = 0, trigger = 0;
    for (int q = 1; q < t; ++q) {
        if (triggers.count(q)) {
            trigger += a(q, 0);
            ++out.triggerCount;
        } else {
            ordinary += a(q, 0);
            ++out.ordinaryCount;
        }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.ordinary = out.ordinaryCount > 0 ? ordinary / out.ordinaryCount : nan;
    out.trigger = out.triggerCount > 0 ? trigger / out.triggerCount : nan;
    return out;
}

bool isActiveDormantFlip(const BosMassByKind& mass, double high, double low) {
    if (std::isnan(mass.ordinary) || std::isnan(mass.trigger)) return false;
    return mass.ordinary >= high && mass.trigger < low;
}

}  // namespace attnscope::analysis
