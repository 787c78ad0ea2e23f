#include "attnscope/analysis/sink_metrics.h"

#include <stdexcept>
#include <string>

namespace attnscope::analysis {

double sinkMass(const AttentionMap& attention, int startSize) {
    if (startSize < 1) {
        throw std::invalid_argument("sinkMass: startSize must be >= 1, got " +
                                    std::to_string(startSize));
    }
    requireCausalAttentionMap(attention, "sinkMass");
    const Eigen::Index t = attention.rows();
    if (t <= startSize) {
        throw std::invalid_argument("sinkMass: sequence length " + std::to_string(t) +
                                    " must exceed startSize " + std::to_string(startSize) +
                                    " (no query lies past the sink window)");
    }
    double total = 0.0;
    for (Eigen::Index q = startSize; q < t; ++q) {
        for (Eigen::Index k = 0; k < startSize; ++k) {
            total += attention(q, k);
        }
    }
    return total / static_cast<double>(t - startSize);
}

const Eigen::VectorXd& SampleAlphas::at(int layer, int head) const {
    if (layer < 0 || layer >= layers || head < 0 || head >= heads ||
        perHead.size() != static_cast<std::size_t>(layers) * static_cast<std::size_t>(heads)) {
        throw std::out_of_range("SampleAlphas::at: (" + std::to_string(layer) + ", " +
                                std::to_string(head) + ") outside the table");
    }
    return perHead[static_cast<std::size_t>(layer) * heads + head];
}

SinkRateResult sinkRate(const std::vector<SampleAlphas>& samples, double eps, int key) {
    if (samples.empty()) {
        throw std::invalid_argument("sinkRate: no samples");
    }
    if (key < 0) {
        throw std::invalid_argument("sinkRate: key must be >= 0");
    }
    const int layers = samples.front().layers;
    const int heads = samples.front().heads;
    if (layers <= 0 || heads <= 0) {
        throw std::invalid_argument("sinkRate: samples must have at least one layer and head");
    }
    SinkRateResult result;
    result.eps = eps;
    result.key = key;
    result.meanAlpha = HeadTable(layers, heads, 0.0);
    result.isSinkHead = HeadTable(layers, heads, 0.0);
    long long above = 0;
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const SampleAlphas& sample = samples[s];
        if (sample.layers != layers || sample.heads != heads ||
            sample.perHead.size() != static_cast<std::size_t>(layers) * heads) {
            throw std::invalid_argument(
                "sinkRate: sample " + std::to_string(s) + " does not have the first sample's " +
                std::to_string(layers) + "x" + std::to_string(heads) + " heads");
        }
        for (int l = 0; l < layers; ++l) {
            for (int h = 0; h < heads; ++h) {
                const Eigen::VectorXd& alpha = sample.at(l, h);
                if (alpha.size() <= key) {
                    throw std::invalid_argument(
                        "sinkRate: sample " + std::to_string(s) + " head (" + std::to_string(l) +
                        ", " + std::to_string(h) + ") has no key " + std::to_string(key));
                }
                const double a = alpha[key];
                if (a > eps) ++above;
                result.meanAlpha.at(l, h) += a;
            }
        }
    }
    const double n = static_cast<double>(samples.size());
    for (double& v : result.meanAlpha.values)
        v /= n;
    for (std::size_t i = 0; i < result.meanAlpha.values.size(); ++i) {
        result.isSinkHead.values[i] = result.meanAlpha.values[i] > eps ? 1.0 : 0.0;
    }
    result.ratePercent =
        100.0 * static_cast<double>(above) / (n * static_cast<double>(layers) * heads);
    return result;
}

}  // namespace attnscope::analysis
