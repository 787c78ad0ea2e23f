#pragma once

#include <vector>

namespace attnscope::analysis {

/// The epsilon SH adds to both distributions in its KL (lib/SHIPS/pd_diff.py::kl_divergence).
inline constexpr double kShipsEpsilon = 1e-12;

/// §3.2 Ships score of one head for one query (SH lib/SHIPS/get_ships.py::SHIPS.get_ships):
///
///     p  = softmax(logitsBase[last position]),  p' = softmax(logitsAblated[last position])
///     Ships = sum_v (p_v + 1e-12) * log( (p_v + 1e-12) / (p'_v + 1e-12) )
///
/// Choice of precision: both softmaxes in fp32 (as the reference's `.float()` logits), the
/// epsilon-shifted KL sum in double. Inputs are the last-position logit vectors [V]. Throws
/// std::invalid_argument on empty, mismatched or non-finite inputs.
double shipsKl(const std::vector<float>& logitsBase, const std::vector<float>& logitsAblated);

}  // namespace attnscope::analysis
