#pragma once

#include <Eigen/Core>
#include <vector>

#include "attnscope/analysis/head_table.h"

namespace attnscope::analysis {

/// §7.4 VHD [PAPER only; the code is unavailable] adapted to text context, at one generation
/// position t:
///
///     VHD[l,h] = || o_{l,h}(y_t | y_<t, C, P) - o_{l,h}(y_t | y_<t, P) ||_2
///
/// withContext[l] and withoutContext[l] are [heads, D]: each head's output at t (default the
/// post-W_O slice o; z works the same) [UNVERIFIED: o vs z, and the L2 distance]. Computed in
/// double. Throws std::invalid_argument on empty or mismatched shapes.
HeadTable vhdDistances(const std::vector<Eigen::MatrixXf>& withContext,
                       const std::vector<Eigen::MatrixXf>& withoutContext);

/// Default k of T-VHD: ceil(fraction * number of heads), at least 1 (fraction 5%)
/// [UNVERIFIED]. Throws std::invalid_argument if totalHeads < 1 or fraction not in (0, 1].
int vhdDefaultTopK(int totalHeads, double fraction = 0.05);

/// T-VHD = mean of the k largest VHD values. Throws std::invalid_argument unless
/// 1 <= k <= number of heads, or on NaN values.
double tVhd(const HeadTable& vhd, int k);

}  // namespace attnscope::analysis
