#pragma once

#include <Eigen/Core>

namespace attnscope::analysis {

/// §3.4 Generalized Ships (SH lib/Sahara/svd.py::compute_subspace_similarity):
///
///     U = thin SVD(M).U,  U_A = thin SVD(M_A).U          (no mean-centering)
///     GShips = degrees( arccos( clamp(|U[:,0]^T U_A[:,0]|, -1, 1) ) )     in [0, 90]
///
/// M and M_A are [N, D]: the post-final-norm hidden state at the last position of each of N
/// prompts, for the base model and with the head set A ablated. The vectors compared are the
/// N-dimensional LEFT singular vectors, as in the code.
///
/// rank r > 1 [UNVERIFIED: the code hard-codes r = 1]: the SUM of the r principal angles (in
/// degrees) between span(U[:, :r]) and span(U_A[:, :r]), i.e. sum_i arccos(sigma_i) with
/// sigma_i the singular values of U_r^T U_A,r. For r = 1 this is the code's score.
/// Computed in double. Throws std::invalid_argument if the shapes differ, are empty, rank < 1
/// or rank > min(N, D), or an entry is not finite.
double gshipsAngle(const Eigen::MatrixXf& base, const Eigen::MatrixXf& ablated, int rank = 1);

}  // namespace attnscope::analysis
