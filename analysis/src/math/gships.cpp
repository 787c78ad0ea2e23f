#include "attnscope/analysis/gships.h"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

namespace {

constexpr double kPi = 3.14159265358979323846;

Eigen::MatrixXd topLeftSingularVectors(const Eigen::MatrixXf& m, int rank) {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(m.cast<double>(), Eigen::ComputeThinU);
    return svd.matrixU().leftCols(rank);
}

}  // namespace

double gshipsAngle(const Eigen::MatrixXf& base, const Eigen::MatrixXf& ablated, int rank) {
    if (base.size() == 0) throw std::invalid_argument("gshipsAngle: empty hidden-state matrix");
    if (base.rows() != ablated.rows() || base.cols() != ablated.cols()) {
        throw std::invalid_argument("gshipsAngle: M is [" + std::to_string(base.rows()) + ", " +
                                    std::to_string(base.cols()) + "] but M_A is [" +
                                    std::to_string(ablated.rows()) + ", " +
                                    std::to_string(ablated.cols()) + "]");
    }
    const Eigen::Index maxRank = std::min(base.rows(), base.cols());
    if (rank < 1 || rank > maxRank) {
        throw std::invalid_argument("gshipsAngle: rank must lie in [1, " + std::to_string(maxRank) +
                                    "], got " + std::to_string(rank));
    }
    if (!base.allFinite() || !ablated.allFinite()) {
        throw std::invalid_argument("gshipsAngle: non-finite hidden state");
    }
    const Eigen::MatrixXd u = topLeftSingularVectors(base, rank);
    const Eigen::MatrixXd uA = topLeftSingularVectors(ablated, rank);
    // Cosines of the principal angles: singular values of U_r^T U_A,r (for r = 1, |u^T u_A|).
    const Eigen::MatrixXd overlap = u.transpose() * uA;
    const Eigen::VectorXd cosines = Eigen::JacobiSVD<Eigen::MatrixXd>(overlap).singularValues();
    double degrees = 0.0;
    for (Eigen::Index i = 0; i < cosines.size(); ++i) {
        degrees += std::acos(std::clamp(cosines[i], -1.0, 1.0)) * 180.0 / kPi;
    }
    return degrees;
}

}  // namespace attnscope::analysis
