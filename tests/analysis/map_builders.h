#pragma once

#include <Eigen/Core>
#include <initializer_list>
#include <random>

namespace attnscope::analysis::test {

/// A float matrix from rows written out in the test.
inline Eigen::MatrixXf matrixFromRows(std::initializer_list<std::initializer_list<float>> rows) {
    const auto r = static_cast<Eigen::Index>(rows.size());
    const auto c = static_cast<Eigen::Index>(rows.begin()->size());
    Eigen::MatrixXf m(r, c);
    Eigen::Index i = 0;
    for (const auto& row : rows) {
        Eigen::Index j = 0;
        for (float v : row)
            m(i, j++) = v;
        ++i;
    }
    return m;
}

/// A random causal attention map (each row a distribution over keys 0..q), seeded.
inline Eigen::MatrixXf randomCausalMap(int t, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.01f, 1.0f);
    Eigen::MatrixXf m = Eigen::MatrixXf::Zero(t, t);
    for (int q = 0; q < t; ++q) {
        float sum = 0.0f;
        for (int k = 0; k <= q; ++k)
            sum += (m(q, k) = u(rng));
        for (int k = 0; k <= q; ++k)
            m(q, k) /= sum;
    }
    return m;
}

}  // namespace attnscope::analysis::test
