#include "attnscope/analysis/duo_attention.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace attnscope::analysis {

bool streamingVisible(long long query, long long key, long long sinkSize, long long recentSize) {
    return key <= query && (key < sinkSize || key > query - recentSize);
}

double duoLrMultiplier(long long step, long long totalSteps) {
    if (totalSteps < 1) throw std::invalid_argument("duoLrMultiplier: totalSteps must be >= 1");
    const double fifth = double(totalSteps) / 5.0;
    const double warmup = std::max(double(step + 1) / fifth, 0.1);
    const double decay = std::max(double(totalSteps - step) / fifth, 0.1);
    return std::min({1.0, warmup, decay});
}

double duoL1Regularizer(const HeadTable& gates) {
    if (gates.values.empty()) throw std::invalid_argument("duoL1Regularizer: empty gate table");
    double sum = 0.0;
    for (double a : gates.values)
        sum += std::abs(a);
    return sum / double(gates.values.size());
}

double duoDistillLoss(const Eigen::MatrixXf& hidden, const Eigen::MatrixXf& hiddenTilde,
                      const std::vector<bool>& supervised) {
    if (hidden.rows() != hiddenTilde.rows() || hidden.cols() != hiddenTilde.cols() ||
        hidden.cols() == 0 || supervised.size() != static_cast<std::size_t>(hidden.rows())) {
        throw std::invalid_argument(
            "duoDistillLoss: hidden states must both be [T, D] with one label flag per position");
    }
    double total = 0.0;
    long long count = 0;
    for (Eigen::Index t = 0; t < hidden.rows(); ++t) {
        if (!supervised[static_cast<std::size_t>(t)]) continue;
        const Eigen::VectorXd diff =
            (hidden.row(t).cast<double>() - hiddenTilde.row(t).cast<double>()).transpose();
        total += diff.squaredNorm() / double(hidden.cols());
        ++count;
    }
    if (count == 0) throw std::invalid_argument("duoDistillLoss: no supervised position");
    return total / double(count);
}

double numpyQuantile(std::vector<double> values, double q) {
    if (values.empty()) throw std::invalid_argument("numpyQuantile: no values");
    if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("numpyQuantile: q outside [0, 1]");
    std::sort(values.begin(), values.end());
    const double virtualIndex = double(values.size() - 1) * q;
    const double previous = std::floor(virtualIndex);
    const auto lo = static_cast<std::size_t>(previous);
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    const double gamma = virtualIndex - previous;
    const double a = values[lo];
    const double b = values[hi];
    // numpy's _lerp: a + (b-a) t, computed from the b end when t >= 0.5 for monotonicity.
    const double diff = b - a;
    return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

DuoClassification duoClassify(const HeadTable& alphas, double sparsity, std::uint32_t seed) {
    if (alphas.values.empty()) throw std::invalid_argument("duoClassify: empty gate table");
    if (std::isnan(sparsity)) throw std::invalid_argument("duoClassify: sparsity is NaN");
    DuoClassification out;
    out.gates = alphas;
    std::mt19937 rng(seed);  // numpy RandomState(seed) uses the same init_genrand
    for (double& g : out.gates.values) {
        if (std::isnan(g)) throw std::invalid_argument("duoClassify: NaN gate");
        // numpy's random_sample: 53 bits from two 32-bit draws.
        const std::uint32_t a = rng() >> 5;
        const std::uint32_t b = rng() >> 6;
        const double uniform = (double(a) * 67108864.0 + double(b)) / 9007199254740992.0;
        g = std::clamp(g, 0.0, 1.0) + 1e-6 * uniform;
    }
    if (sparsity >= 1.0) {
        out.threshold = 2.0;  // every head streaming
    } else if (sparsity <= 0.0) {
        out.threshold = -1.0;  // every head retrieval
    } else {
        out.threshold = numpyQuantile(out.gates.values, sparsity);
    }
    out.isRetrieval = HeadTable(alphas.layers, alphas.heads, 0.0);
    double retrieval = 0.0;
    for (std::size_t i = 0; i < out.gates.values.size(); ++i) {
        const bool full = out.gates.values[i] >= out.threshold;
        out.isRetrieval.values[i] = full ? 1.0 : 0.0;
        retrieval += out.isRetrieval.values[i];
    }
    out.sparsity = 1.0 - retrieval / double(out.gates.values.size());
    return out;
}

}  // namespace attnscope::analysis
