#include "attnscope/analysis/a2sf.h"

#include <stdexcept>
#include <string>

#include "attnscope/analysis/attention_map.h"

namespace attnscope::analysis {

Eigen::VectorXd a2sfGroupScore(const std::vector<Eigen::MatrixXf>& groupMaps, double lambda) {
    if (groupMaps.empty()) throw std::invalid_argument("a2sfGroupScore: empty KV group");
    if (!(lambda > 0.0 && lambda <= 1.0)) {
        throw std::invalid_argument("a2sfGroupScore: lambda must lie in (0, 1], got " +
                                    std::to_string(lambda));
    }
    const Eigen::Index queries = groupMaps.front().rows();
    const Eigen::Index keys = groupMaps.front().cols();
    Eigen::MatrixXd summed = Eigen::MatrixXd::Zero(queries, keys);
    for (const Eigen::MatrixXf& map : groupMaps) {
        if (map.rows() != queries || map.cols() != keys) {
            throw std::invalid_argument("a2sfGroupScore: the group's maps differ in shape");
        }
        requireAttentionRows(map, "a2sfGroupScore");
        summed += map.cast<double>();
    }
    // Horner form of sum_q lambda^(T-1-q) S_q: the recursion A_n = lambda A_{n-1} + S_n.
    Eigen::VectorXd score = Eigen::VectorXd::Zero(keys);
    for (Eigen::Index q = 0; q < queries; ++q) {
        score = lambda * score + summed.row(q).transpose();
    }
    return score;
}

std::vector<Eigen::VectorXd> a2sfScores(const std::vector<Eigen::MatrixXf>& headMaps, int kvHeads,
                                        double lambda) {
    const int heads = static_cast<int>(headMaps.size());
    if (kvHeads < 1 || heads == 0 || heads % kvHeads != 0) {
        throw std::invalid_argument("a2sfScores: " + std::to_string(kvHeads) +
                                    " KV heads do not divide " + std::to_string(heads) +
                                    " query heads");
    }
    const int group = heads / kvHeads;
    std::vector<Eigen::VectorXd> out;
    out.reserve(static_cast<std::size_t>(kvHeads));
    for (int j = 0; j < kvHeads; ++j) {
        const auto first = headMaps.begin() + static_cast<std::ptrdiff_t>(j) * group;
        out.push_back(a2sfGroupScore(std::vector<Eigen::MatrixXf>(first, first + group), lambda));
    }
    return out;
}

}  // namespace attnscope::analysis
