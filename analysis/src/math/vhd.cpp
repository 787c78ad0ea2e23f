#include "attnscope/analysis/vhd.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

HeadTable vhdDistances(const std::vector<Eigen::MatrixXf>& withContext,
                       const std::vector<Eigen::MatrixXf>& withoutContext) {
    if (withContext.empty() || withContext.size() != withoutContext.size()) {
        throw std::invalid_argument("vhdDistances: need the same non-zero number of layers");
    }
    const Eigen::Index heads = withContext.front().rows();
    const Eigen::Index dim = withContext.front().cols();
    if (heads == 0 || dim == 0) throw std::invalid_argument("vhdDistances: empty head outputs");
    HeadTable out(static_cast<int>(withContext.size()), static_cast<int>(heads), 0.0);
    for (std::size_t l = 0; l < withContext.size(); ++l) {
        const Eigen::MatrixXf& a = withContext[l];
        const Eigen::MatrixXf& b = withoutContext[l];
        if (a.rows() != heads || a.cols() != dim || b.rows() != heads || b.cols() != dim) {
            throw std::invalid_argument("vhdDistances: layer " + std::to_string(l) +
                                        " head outputs are not both [" + std::to_string(heads) +
                                        ", " + std::to_string(dim) + "]");
        }
        for (Eigen::Index h = 0; h < heads; ++h) {
            out.at(static_cast<int>(l), static_cast<int>(h)) =
                (a.row(h).cast<double>() - b.row(h).cast<double>()).norm();
        }
    }
    return out;
}

int vhdDefaultTopK(int totalHeads, double fraction) {
    if (totalHeads < 1 || !(fraction > 0.0 && fraction <= 1.0)) {
        throw std::invalid_argument("vhdDefaultTopK: need totalHeads >= 1, fraction in (0, 1]");
    }
    // The small slack keeps products such as 0.05 * 20 that land a hair above an integer from
    // rounding up to the next one.
    return std::max(1, static_cast<int>(std::ceil(fraction * totalHeads - 1e-9)));
}

double tVhd(const HeadTable& vhd, int k) {
    const auto n = static_cast<int>(vhd.values.size());
    if (k < 1 || k > n) {
        throw std::invalid_argument("tVhd: k must lie in [1, " + std::to_string(n) + "], got " +
                                    std::to_string(k));
    }
    std::vector<double> sorted = vhd.values;
    for (double v : sorted) {
        if (std::isnan(v)) throw std::invalid_argument("tVhd: NaN distance");
    }
    std::partial_sort(sorted.begin(), sorted.begin() + k, sorted.end(), std::greater<>());
    double sum = 0.0;
    for (int i = 0; i < k; ++i)
        sum += sorted[static_cast<std::size_t>(i)];
    return sum / k;
}

}  // namespace attnscope::analysis
