#include "attnscope/analysis/ships.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "attnscope/analysis/softmax.h"

namespace attnscope::analysis {

double shipsKl(const std::vector<float>& logitsBase, const std::vector<float>& logitsAblated) {
    if (logitsBase.size() != logitsAblated.size()) {
        throw std::invalid_argument(
            "shipsKl: base logits have " + std::to_string(logitsBase.size()) +
            " entries but ablated logits " + std::to_string(logitsAblated.size()));
    }
    const std::vector<float> p = softmaxFp32(logitsBase);
    const std::vector<float> pAblated = softmaxFp32(logitsAblated);
    double kl = 0.0;
    for (std::size_t v = 0; v < p.size(); ++v) {
        const double a = double(p[v]) + kShipsEpsilon;
        const double b = double(pAblated[v]) + kShipsEpsilon;
        kl += a * std::log(a / b);
    }
    return kl;
}

}  // namespace attnscope::analysis
